/**
 * Stage 2, route: router plugins may choose the chain; otherwise the model name resolves to one
 * (a registry model, a provider-qualified name, an alias or a virtual model's fallback chain).
 *
 * @module
 */
import { resolveChain } from '../../core/chain.js';
import type { RequestContext } from '../context.js';
import { askRouters } from '../plugins/route.js';

/** Sets the chain; a promise only when router plugins are asked (without one nothing is awaited). */
export function route(ctx: RequestContext): Promise<void> | undefined {
  const asked = askRouters(ctx);
  if (!asked) return byModel(ctx);
  return asked.then((decision) => {
    if (!decision) return byModel(ctx);
    ctx.chain = decision.chain;
    ctx.routerId = decision.routerId;
    if (ctx.trace) ctx.trace.router = decision.routerId;
  });
}

function byModel(ctx: RequestContext): undefined {
  ctx.chain = resolveChain(ctx.rt.catalog, ctx.rt.config.models, ctx.decoded.request.model);
  return undefined;
}
