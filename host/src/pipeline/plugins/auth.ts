/**
 * The auth capability: a credential's refresh goes to the highest-priority active plugin that
 * declares its type, and to no other plugin: only that one ever sees the credential's material.
 *
 * @module
 */
import type { AuthCredential, AuthRefreshResult } from '@switchyard/plugin-sdk';
import type { PluginDirectory } from './directory.js';

/** Refreshes `credential` through its type's auth plugin; rejects when none is active or it fails. */
export async function refreshThroughPlugin(plugins: PluginDirectory, credential: AuthCredential, signal: AbortSignal): Promise<AuthRefreshResult> {
  const plugin = plugins.active('auth').find((p) => p.auth?.types.includes(credential.type));
  if (!plugin) throw new Error(`no active auth plugin handles credentials of type "${credential.type}"`);
  return plugin.call('auth.refresh', credential, { signal });
}
