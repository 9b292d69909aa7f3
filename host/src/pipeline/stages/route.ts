/**
 * Stage 2, route: router plugins may choose the chain; otherwise the model name resolves to one
 * (a registry model, a provider-qualified name, an alias or a virtual model's fallback chain).
 *
 * @module
 */
import { resolveChain } from '../../core/chain.js';
import type { RequestContext } from '../context.js';
import { askRouters } from '../plugins/route.js';

export async function route(ctx: RequestContext): Promise<void> {
  const decision = await askRouters(ctx);
  if (decision) {
    ctx.chain = decision.chain;
    ctx.routerId = decision.routerId;
    if (ctx.trace) ctx.trace.router = decision.routerId;
    return;
  }
  ctx.chain = resolveChain(ctx.rt.catalog, ctx.rt.config.models, ctx.decoded.request.model);
}
