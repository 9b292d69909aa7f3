/**
 * Stage 4, plan: what the conductor needs besides the chain: the session the request belongs
 * to, when session affinity is on.
 *
 * @module
 */
import { extractSessionId } from '../../core/conductor/affinity.js';
import type { RunContext } from '../../core/conductor/conductor.js';
import type { RequestContext } from '../context.js';
import { asObject } from './decode.js';

export function plan(ctx: RequestContext): RunContext {
  if (ctx.rt.config.routing.sessionAffinity) ctx.sessionId = extractSessionId(ctx.headers, asObject(ctx.body.value), ctx.decoded.request);
  return { requestedModel: ctx.decoded.request.model, signal: ctx.signal, sessionId: ctx.sessionId, trace: ctx.trace };
}
