/**
 * Stage 4, plan: what the conductor needs besides the chain: the session the request belongs
 * to, when session affinity is on, and the deadline its attempts are planned inside.
 *
 * @module
 */
import { extractSessionId } from '../../core/conductor/affinity.js';
import type { RunContext } from '../../core/conductor/conductor.js';
import type { RequestContext } from '../context.js';
import { clientTimeoutMs } from '../deadline.js';
import { estimateTokens } from '../estimate.js';
import { asObject } from './decode.js';

export function plan(ctx: RequestContext): RunContext {
  if (ctx.rt.config.routing.sessionAffinity) ctx.sessionId = extractSessionId(ctx.headers, asObject(ctx.body.value), ctx.decoded.request);
  // The deadline counts from the request's arrival, not from here.
  const arrived = Date.now() - (performance.now() - ctx.startedAt);
  const client = clientTimeoutMs(ctx.headers);
  // A virtual model may carry a deadline of its own, instead of routing.timeout.
  const configured = ctx.rt.config.models[ctx.decoded.request.model]?.timeout ?? ctx.rt.config.routing.timeout;
  const timeout = Math.min(client ?? Infinity, configured);
  // Estimated once, and only if some credential's token budget is known.
  let need: number | undefined;
  return {
    requestedModel: ctx.decoded.request.model,
    signal: ctx.signal,
    sessionId: ctx.sessionId,
    trace: ctx.trace,
    deadline: arrived + timeout,
    clientDeadline: client !== undefined && client <= configured,
    needTokens: () => (need ??= estimateTokens(ctx.decoded.request)),
  };
}
