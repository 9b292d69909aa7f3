/**
 * One config's worth of runtime state, built once when a config applies and swapped
 * atomically on reload. A request holds the snapshot it started with to its end.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import { type KeySet, keySet } from '../http/keys.js';
import { Catalog } from './catalog.js';

export interface Runtime {
  readonly config: Config;
  readonly catalog: Catalog;
  /** Client API keys, hashed for constant-time comparison. */
  readonly clientKeys: KeySet;
  readonly agent: Dispatcher;
}

export function buildRuntime(config: Config, agent: Dispatcher): Runtime {
  return { config, catalog: new Catalog(config), clientKeys: keySet(config.apiKeys), agent };
}
