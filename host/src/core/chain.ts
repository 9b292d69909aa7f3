/**
 * Model name -> the chain of pools the conductor runs over. A virtual model of `models:` is
 * its primary then its fallbacks, in order, deduplicated (a credential serving the same model
 * is tried once however many candidates reach it); any other name is a single pool.
 *
 * @module
 */
import type { Config } from '../config/schema.js';
import { gatewayError } from '../errors/registry.js';
import type { ModelListing } from '../formats/wire-format.js';
import type { Catalog } from './catalog.js';
import type { Pool } from './conductor/pool.js';

/** The virtual models of `models:`, by name. */
export type VirtualModels = Config['models'];

/**
 * Throws `model_not_found` (404) for a name nothing knows, `no_provider` (503) when the model is
 * known but no credential can serve it.
 */
export function resolveChain(catalog: Catalog, models: VirtualModels, requested: string): readonly Pool[] {
  const virtual = models[requested];
  if (!virtual) {
    const pool = catalog.pool(requested);
    if (!pool && !catalog.knows(requested)) {
      throw gatewayError('model_not_found', `The model '${requested}' does not exist or is not served by any provider`);
    }
    if (!pool || pool.members.length === 0) throw gatewayError('no_provider', `No provider with a credential can serve model '${requested}'`);
    return [pool];
  }
  const seen = new Set<string>();
  const chain: Pool[] = [];
  for (const name of candidates(models, requested)) {
    const pool = catalog.pool(name);
    if (!pool) continue;
    const members = pool.members.filter((m) => {
      const key = `${m.id}|${m.model}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (members.length > 0) chain.push(members.length === pool.members.length ? pool : { ...pool, members });
  }
  if (chain.length === 0) throw gatewayError('no_provider', `No candidate of virtual model '${requested}' can be served by a configured provider`);
  return chain;
}

/**
 * The candidate names of a virtual model, in order, with any candidate that is itself a virtual
 * model expanded in its place (a virtual model met twice on one path is a cycle: skipped).
 */
function candidates(models: VirtualModels, name: string, path: readonly string[] = []): string[] {
  const virtual = models[name];
  if (!virtual) return [name];
  if (path.includes(name)) return [];
  return [virtual.primary, ...virtual.fallbacks].flatMap((c) => candidates(models, c, [...path, name]));
}

/** Every model name clients can use: registry models that are listable, then virtual models. */
export function listModels(catalog: Catalog, models: VirtualModels): ModelListing[] {
  const out: ModelListing[] = catalog.registry.models().map((m) => ({ id: m.id, ownedBy: m.providers[0] ?? 'switchyard', created: 0 }));
  for (const name of Object.keys(models)) out.push({ id: name, ownedBy: 'switchyard', created: 0 });
  return out;
}
