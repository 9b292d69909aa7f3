/**
 * Starts a plugin exactly as the gateway would (its supervisor, pool settings, register
 * handshake and protocol checks) and stops it again, for `switchyard plugins check` and
 * `switchyard plugins list`.
 *
 * @module
 */
import type { RegisterResult } from '@switchyard/plugin-sdk';
import { workerEntry } from '@switchyard/plugin-sdk/transport';
import type { DiscoveredPlugin } from '../plugins/discovery.js';
import type { PluginItem, PluginLogger, PluginTiming } from '../plugins/item.js';
import { PluginSupervisor, type PluginSnapshot } from '../plugins/supervisor.js';

/** What starting the plugin gave. */
export interface Probe {
  /** The state the gateway would give it (active, disabled, rejected, or fused when it fails to start), with the reason. */
  snapshot: PluginSnapshot;
  /** The register answer, when it started. */
  registration?: RegisterResult;
}

// The outcome is in the snapshot; the supervisor's log lines would only repeat it.
const quiet: PluginLogger = { info() {}, warn() {}, error() {}, child: () => quiet };

/** Starts `plugin` with `item` unless the item disables it or discovery rejected it, then destroys its pool. */
export async function probePlugin(plugin: DiscoveredPlugin, item: PluginItem, timing: PluginTiming): Promise<Probe> {
  const supervisor = new PluginSupervisor({ plugin, item, timing, workerFilename: workerEntry(), logger: quiet });
  try {
    await supervisor.start();
    return { snapshot: supervisor.snapshot(), registration: supervisor.registration };
  } finally {
    await supervisor.close();
  }
}
