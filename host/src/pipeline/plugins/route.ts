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
import type { Runtime } from '../../core/runtime.js';
import type { FormatName } from '../../formats/ir.js';
import type { ActivePlugin } from './directory.js';

export interface RouteInput {
  requestId: string;
  format: FormatName;
  model: string;
  stream: boolean;
  /** Client headers without credentials. */
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** The plugin making a nested call: its own router is skipped. */
  skipRouter?: string;
}

export interface RouteDecision {
  chain: readonly Pool[];
  /** The router plugin that decided, if one did. */
  routerId?: string;
}

/** Runs the routers, then falls back to resolving the model by name. */
export async function routeModel(rt: Runtime, input: RouteInput): Promise<RouteDecision> {
  const routers = rt.plugins.active('modelRouter');
  if (routers.length > 0) {
    const request = {
      requestId: input.requestId,
      sourceFormat: input.format,
      requestedModel: input.model,
      stream: input.stream,
      headers: input.headers,
      query: input.query,
      body: input.body,
      availableProviders: rt.catalog.availableProviders as string[],
    };
    for (const router of routers) {
      if (router.id === input.skipRouter) continue;
      let answer: RouteResult;
      try {
        answer = await router.call('model.route', request);
      } catch {
        continue; // thrown, timed out, fused or invalid: the next router decides
      }
      if (!answer.handled) continue;
      const chain = targetChain(rt, router, answer, input.model);
      if (chain) return { chain, routerId: router.id };
    }
  }
  return { chain: resolveChain(rt, input.model) };
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
        return resolveChain(rt, answer.target);
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
