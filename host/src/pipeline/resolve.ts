/**
 * Model name -> where to send it. For now the first provider serving the model that has a
 * credential; the registry, conductor and fallback chain take this over.
 *
 * @module
 */
import type { Target } from '../core/catalog.js';
import type { Runtime } from '../core/runtime.js';
import { gatewayError } from '../errors/registry.js';

/** Throws `model_not_found` (404) for an unknown model, `no_provider` (503) when no provider can serve it. */
export function resolveTarget(rt: Runtime, model: string): Target {
  const targets = rt.catalog.resolve(model);
  if (targets.length === 0) throw gatewayError('model_not_found', `The model '${model}' does not exist or is not served by any provider`);
  const usable = targets.find((t) => t.provider.credentials.length > 0);
  if (!usable) throw gatewayError('no_provider', `No provider with a credential can serve model '${model}'`);
  return usable;
}
