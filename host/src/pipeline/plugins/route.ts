/**
 * The modelRouter capability: routers are asked in priority order (then id); the first valid
 * handled answer decides. Unhandled, thrown, timed-out, fused and invalid answers (unknown kind,
 * unknown or unavailable target) fall through to the next router, and after the last one to the
 * normal path. A nested call skips the router of the plugin that made it.
 *
 * @module
 */
import type { RouteResult } from '@switchyard/plugin-sdk';
import { resolveChain } from '../../core/chain.js';
import type { Pool } from '../../core/conductor/pool.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import type { ActivePlugin } from './directory.js';
import { dispatch } from './dispatch.js';

export interface RouteDecision {
  chain: readonly Pool[];
  /** The router plugin that decided. */
  routerId: string;
}

/**
 * Asks the routers; resolves undefined when none decided (the model name decides). Returns
 * undefined, not a promise, when there is no router to ask: that request awaits nothing.
 */
export function askRouters(ctx: RequestContext): Promise<RouteDecision | undefined> | undefined {
  const { rt } = ctx;
  const routers = rt.plugins.active('modelRouter').filter((r) => r.id !== ctx.skipRouter);
  if (routers.length === 0) return undefined;
  const requestedModel = ctx.decoded.request.model;
  const request = {
    requestId: ctx.requestId,
    sourceFormat: ctx.format.name,
    requestedModel,
    stream: ctx.decoded.request.stream,
    headers: ctx.pluginHeaders,
    query: ctx.pluginQuery,
    body: ctx.body.value,
    availableProviders: rt.catalog.availableProviders as string[],
  };
  // No abort signal: listening for it costs a router call more than the call itself (an
  // EventTarget listener per call), and a router answers within its short call deadline anyway.
  return dispatch(routers, { hostRequest: ctx.pluginCall.hostRequest, observe: ctx.pluginCall.observe }, {
    stage: 'router',
    call: (router, options) => router.call('model.route', request, options),
    answer(router, answer: RouteResult) {
      if (!answer.handled) return undefined;
      const chain = targetChain(rt, router, answer, requestedModel);
      return chain && { chain, routerId: router.id };
    },
    // Thrown, timed out, fused or invalid: the next router decides.
  });
}

/** The chain a handled answer points at, or undefined when its target is unknown or unavailable. */
function targetChain(rt: Runtime, router: ActivePlugin, answer: Extract<RouteResult, { handled: true }>, requested: string): readonly Pool[] | undefined {
  const model = answer.targetModel ?? requested;
  switch (answer.targetKind) {
    case 'self':
      return executorChain(rt, router, model);
    case 'executor': {
      const target = answer.target === undefined ? undefined : rt.plugins.get(answer.target);
      return target ? executorChain(rt, target, model) : undefined;
    }
    case 'provider': {
      if (answer.target === undefined || !rt.catalog.availableProviders.includes(answer.target)) return undefined;
      const pool = rt.catalog.pool(`${answer.target}/${model}`);
      return pool && pool.members.length > 0 ? [pool] : undefined;
    }
    case 'model':
      if (answer.target === undefined) return undefined;
      try {
        return resolveChain(rt.catalog, rt.config.models, answer.target);
      } catch {
        return undefined;
      }
  }
}

/** A plugin's own executor, serving `model` as asked (the executor decides what it accepts). */
function executorChain(rt: Runtime, plugin: ActivePlugin, model: string): readonly Pool[] | undefined {
  const provider = plugin.executor?.provider;
  if (provider === undefined || rt.catalog.providers.get(provider)?.plugin !== plugin.id) return undefined;
  const pool = rt.catalog.pool(`${provider}/${model}`);
  return pool ? [pool] : undefined;
}
