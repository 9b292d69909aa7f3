/**
 * Model name -> the chain of pools the conductor runs over. A virtual model of `models:` is
 * its primary then its fallbacks, in order, deduplicated (a credential serving the same model
 * is tried once however many candidates reach it); any other name is a single pool.
 *
 * @module
 */
import { gatewayError } from '../errors/registry.js';
import type { ModelListing } from '../formats/codec.js';
import type { Pool } from './conductor/pool.js';
import type { Runtime } from './runtime.js';

/**
 * Throws `model_not_found` (404) for a name nothing knows, `no_provider` (503) when the model is
 * known but no credential can serve it.
 */
export function resolveChain(rt: Runtime, requested: string): readonly Pool[] {
  const virtual = rt.config.models[requested];
  if (!virtual) {
    const pool = rt.catalog.pool(requested);
    if (!pool && !rt.catalog.knows(requested)) {
      throw gatewayError('model_not_found', `The model '${requested}' does not exist or is not served by any provider`);
    }
    if (!pool || pool.members.length === 0) throw gatewayError('no_provider', `No provider with a credential can serve model '${requested}'`);
    return [pool];
  }
  const seen = new Set<string>();
  const chain: Pool[] = [];
  for (const name of candidates(rt, requested)) {
    const pool = rt.catalog.pool(name);
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
function candidates(rt: Runtime, name: string, path: readonly string[] = []): string[] {
  const virtual = rt.config.models[name];
  if (!virtual) return [name];
  if (path.includes(name)) return [];
  return [virtual.primary, ...virtual.fallbacks].flatMap((c) => candidates(rt, c, [...path, name]));
}

/** Every model name clients can use: registry models that are listable, then virtual models. */
export function listModels(rt: Runtime): ModelListing[] {
  const out: ModelListing[] = rt.catalog.registry.models().map((m) => ({ id: m.id, ownedBy: m.providers[0] ?? 'switchyard', created: 0 }));
  for (const name of Object.keys(rt.config.models)) out.push({ id: name, ownedBy: 'switchyard', created: 0 });
  return out;
}
