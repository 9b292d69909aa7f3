/**
 * One config's worth of runtime state, built once when a config applies and swapped
 * atomically on reload. A request holds the snapshot it started with to its end. Cooldowns,
 * counters and in-flight counts live in the shared state, which outlives snapshots.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import { type KeySet, keySet } from '../http/keys.js';
import type { PluginDirectory } from '../pipeline/plugins/directory.js';
import { NO_PLUGINS } from '../pipeline/plugins/directory.js';
import { Catalog, type ExecutorSpec } from './catalog.js';
import { Conductor, type ConductorShared } from './conductor/conductor.js';
import { isCooling } from './conductor/cooldown.js';
import { schedulerHook } from '../pipeline/plugins/scheduler.js';
import type { PipelineObserver } from '../pipeline/proxy.js';

export interface Runtime {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly conductor: Conductor;
  /** Client API keys, hashed for constant-time comparison. */
  readonly clientKeys: KeySet;
  /** The management key; undefined when management is off. */
  readonly managementKeys: KeySet | undefined;
  readonly agent: Dispatcher;
  /** The live plugin directory: fused plugins leave its lists at once, without a rebuild. */
  readonly plugins: PluginDirectory;
  /** Told of upstream calls and served requests (the gateway's metrics). */
  readonly observer?: PipelineObserver;
}

/**
 * Builds a runtime for `config` and the executor plugins active now (a change of that set
 * builds a new runtime, like a config change does).
 */
export function buildRuntime(
  config: Config,
  agent: Dispatcher,
  shared: ConductorShared,
  plugins: PluginDirectory = NO_PLUGINS,
  observer?: PipelineObserver,
): Runtime {
  const executors: ExecutorSpec[] = plugins
    .active('executor')
    .flatMap((p) => (p.executor ? [{ pluginId: p.id, provider: p.executor.provider, format: p.executor.format, models: p.executor.models }] : []));
  const catalog = new Catalog(config, executors);
  const keys = new Set<string>();
  for (const provider of catalog.providers.values()) for (const c of provider.credentials) keys.add(c.key);
  shared.store.retain(keys);
  replayCooldowns(catalog, shared);
  return {
    config,
    catalog,
    conductor: new Conductor(config, catalog.registry, shared, schedulerHook(plugins)),
    clientKeys: keySet(config.apiKeys),
    managementKeys: config.managementKey ? keySet([config.managementKey]) : undefined,
    agent,
    plugins,
    observer,
  };
}

/**
 * Marks the new registry with the cooldowns in force (restored from disk or carried over a
 * reload), so listings and the management view agree with what the conductor will skip.
 */
function replayCooldowns(catalog: Catalog, shared: ConductorShared): void {
  const now = Date.now();
  for (const provider of catalog.providers.values()) {
    for (const credential of provider.credentials) {
      for (const [model, state] of shared.store.modelStates(credential.key)) {
        if (!isCooling(state, now)) continue;
        // Cooldowns are kept per upstream model; the registry knows client names (aliases).
        for (const name of catalog.namesFor(provider.name, model)) {
          if (state.reason === 'quota') catalog.registry.markQuotaExceeded(credential.id, name, now);
          else if (state.reason !== 'transient') catalog.registry.suspend(credential.id, name, state.reason);
        }
      }
    }
  }
}
