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
import { Catalog } from './catalog.js';
import { Conductor, type ConductorShared } from './conductor/conductor.js';
import { isCooling } from './conductor/cooldown.js';

export interface Runtime {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly conductor: Conductor;
  /** Client API keys, hashed for constant-time comparison. */
  readonly clientKeys: KeySet;
  /** The management key; undefined when management is off. */
  readonly managementKeys: KeySet | undefined;
  readonly agent: Dispatcher;
}

export function buildRuntime(config: Config, agent: Dispatcher, shared: ConductorShared): Runtime {
  const catalog = new Catalog(config);
  const keys = new Set<string>();
  for (const provider of catalog.providers.values()) for (const c of provider.credentials) keys.add(c.key);
  shared.store.retain(keys);
  replayCooldowns(catalog, shared);
  return {
    config,
    catalog,
    conductor: new Conductor(config, catalog.registry, shared),
    clientKeys: keySet(config.apiKeys),
    managementKeys: config.managementKey ? keySet([config.managementKey]) : undefined,
    agent,
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
