/**
 * Runs an auth plugin (protocol 1.1) in a real worker for tests, the way the host does, and
 * calls its `auth.refresh`.
 *
 * The SDK's test harness (`@switchyard/plugin-sdk/testing`) starts the plugin and runs the
 * register handshake; it has no method for `auth.refresh` yet, so until it grows one (used
 * here as soon as it exists) the call goes through the SDK's own transport
 * (`@switchyard/plugin-sdk/transport`: the same piscina pool settings, worker runtime and call
 * path as the harness and the host), validated with the protocol's result schema. Failures
 * come back as the transport's errors: `message` is what the plugin threw.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Methods, PROTOCOL_VERSION, methodSchemas, type AuthCredential, type AuthRefreshResult, type LogParams, type RegisterResult } from '@switchyard/plugin-sdk';
import { createHarness, type HarnessOptions, type PluginHarness } from '@switchyard/plugin-sdk/testing';
import { Generation, workerEntry } from '@switchyard/plugin-sdk/transport';

/** A running auth plugin. */
export interface AuthPluginHarness {
  /** The plugin.register answer (through the SDK harness). */
  readonly registration: RegisterResult;
  /** host.log lines the plugin wrote in its refresh worker. */
  readonly logs: readonly LogParams[];
  /**
   * Calls `auth.refresh`; `id`, `provider`, `metadata` default. Rejects with the plugin's error.
   * Aborting `signal` sends the call's `$/cancel`, as the host does when it gives up a refresh
   * (the SDK delivers it to the handler's `ctx.signal` only once the call has a port, which
   * `auth.refresh` does not get today).
   */
  refresh(credential: Partial<AuthCredential> & Pick<AuthCredential, 'type' | 'material'>, options?: { signal?: AbortSignal }): Promise<AuthRefreshResult>;
  close(): Promise<void>;
}

type RefreshingHarness = PluginHarness & { refresh?: (credential: AuthCredential, options?: { signal?: AbortSignal }) => Promise<AuthRefreshResult> };

/** The plugin folder's id and entry, by the host's rule (switchyard.id, package name, folder name). */
async function entryOf(folder: string): Promise<{ pluginId: string; entry: string }> {
  const pkg = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as { name?: string; main?: string; switchyard?: { id?: string } };
  const pluginId = pkg.switchyard?.id || pkg.name?.replace(/^@[^/]+\//, '') || basename(folder);
  return { pluginId, entry: pathToFileURL(resolve(folder, pkg.main || 'index.js')).href };
}

/** Starts the plugin folder `options.plugin` (a path) with `options.config`. */
export async function startAuthPlugin(options: HarnessOptions & { plugin: string }): Promise<AuthPluginHarness> {
  const harness = (await createHarness(options)) as RefreshingHarness;
  const full = (c: Partial<AuthCredential> & Pick<AuthCredential, 'type' | 'material'>): AuthCredential => ({
    id: `${c.provider ?? 'test'}#0`,
    provider: 'test',
    metadata: {},
    ...c,
  });
  if (typeof harness.refresh === 'function') {
    return {
      registration: harness.registration,
      logs: harness.logs,
      refresh: (c, o) => harness.refresh!(full(c), o),
      close: () => harness.close(),
    };
  }

  const { pluginId, entry } = await entryOf(resolve(options.plugin));
  const logs: LogParams[] = [];
  const gen = new Generation(
    { filename: workerEntry(), workerData: { pluginId, entry, config: options.config }, threads: options.threads ?? 1, env: options.env ?? {}, heapMb: options.heapMb ?? 128 },
    () => {},
    (msg) => {
      const m = msg as { method?: unknown; params?: unknown } | null;
      if (m?.method === Methods.log) logs.push(m.params as LogParams);
    },
  );
  await gen.call(Methods.register, { protocol: PROTOCOL_VERSION, pluginId }, 10_000, {}, methodSchemas[Methods.register].result);
  const timeout = options.callTimeoutMs ?? 2_000;
  return {
    registration: harness.registration,
    logs,
    refresh: async (c, o = {}) => (await gen.call(Methods.authRefresh, full(c), timeout, { signal: o.signal }, methodSchemas[Methods.authRefresh].result)) as AuthRefreshResult,
    async close() {
      await Promise.all([harness.close(), gen.inFlight === 0 ? gen.drain() : gen.destroy('closed')]);
    },
  };
}
