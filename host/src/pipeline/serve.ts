/**
 * The story of a request after HTTP, as named stages over one {@link RequestContext}: decode,
 * route, intercept, plan, then the conductor runs attempts over the chain, and respond. Client
 * requests, token counts and nested `host.executeModel` calls all take this path.
 *
 * @module
 */
import type { ConversationDialect } from '../formats/wire-format.js';
import type { PipelineInput, PipelineResult, RequestContext } from './context.js';
import { executeNested } from './plugins/nested.js';
import type { Runtime } from './runtime.js';
import { attemptCount, attemptGenerate } from './stages/attempt.js';
import { expandConversation, recordConversation } from './stages/conversation.js';
import { decode } from './stages/decode.js';
import { interceptBeforeAuth } from './stages/intercept.js';
import { plan } from './stages/plan.js';
import { respond } from './stages/respond.js';
import { route } from './stages/route.js';

/** Serves one request. Rejects with a `GatewayError` for anything the client should see as an error. */
export function serve(rt: Runtime, input: PipelineInput): Promise<PipelineResult> {
  const conversation = input.format.conversation;
  // Not an async function itself: most requests go straight on, with no promise of this layer's.
  return conversation ? serveConversation(rt, input, conversation) : run(rt, input);
}

async function serveConversation(rt: Runtime, input: PipelineInput, conversation: ConversationDialect): Promise<PipelineResult> {
  const expanded = await expandConversation(rt, input, conversation);
  const result = await run(rt, expanded);
  return expanded.operation === 'generate' ? recordConversation(rt, expanded, conversation, result) : result;
}

async function run(rt: Runtime, input: PipelineInput): Promise<PipelineResult> {
  // Plugin handlers' nested calls run inside this request: its signal, its id as their parent.
  const trace = input.trace;
  const ctx: RequestContext = decode(rt, input, {
    signal: input.signal,
    hostRequest: (pluginId, method, params) => hostRequest(ctx, pluginId, method, params),
    observe: trace && ((stage, plugin, verdict, ms) => trace.plugin({ stage, plugin, verdict, ms: Math.round(ms * 100) / 100 })),
  });
  // Each stage returns a promise only when a plugin takes part: awaiting nothing costs a microtask turn.
  const routed = route(ctx);
  if (routed) await routed;
  const intercepted = interceptBeforeAuth(ctx);
  if (intercepted) await intercepted;
  const plannedRun = plan(ctx);
  const attempt = ctx.operation === 'count' ? attemptCount : attemptGenerate;
  const result = await rt.conductor.run(ctx.chain, plannedRun, (member, signal) => attempt(ctx, member, signal));
  return respond(ctx, result);
}

/** A plugin handler's call back into the host during `ctx`'s request. */
function hostRequest(ctx: RequestContext, pluginId: string, method: string, params: unknown): Promise<unknown> {
  if (method !== 'host.executeModel') return Promise.reject(new Error(`unknown host method ${method}`));
  return executeNested(ctx.rt, serve, { callerId: pluginId, parentRequestId: ctx.requestId, client: ctx.client, signal: ctx.signal }, params);
}
