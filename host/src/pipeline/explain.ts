/**
 * Explain: the plan a request would get now, without sending it. The same stages as a served
 * request up to the conductor (decode, the router plugins, the chain, the session), then each
 * candidate with its credentials' state and the credential the conductor would pick (a scheduler
 * plugin is asked, as for a real pick), read-only: no upstream or executor is called, no
 * interceptor runs, no cursor moves and no session is bound, so the same request sent next is
 * served by the credential named here.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireFormat } from '../formats/wire-format.js';
import { JsonBody } from '../formats/json-body.js';
import type { RequestContext } from './context.js';
import type { Runtime } from './runtime.js';
import { decode } from './stages/decode.js';
import { plan } from './stages/plan.js';
import { route } from './stages/route.js';
import { type Candidate, DecisionTrace, type PluginVerdict, describePool } from './trace/trace.js';

export interface ExplainInput {
  format: WireFormat;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** For formats whose model is in the URL (Gemini). */
  model?: string;
  client: string;
}

export interface Plan {
  routers: PluginVerdict[];
  /** The router plugin that chose the chain, if one did. */
  router?: string;
  chain: Candidate[];
  picked: { provider: string; model: string; credential: string; why: string } | null;
}

/** Throws a `GatewayError` for a body the format would reject, as the real request would be. */
export async function explain(rt: Runtime, input: ExplainInput): Promise<Plan> {
  const trace = new DecisionTrace(rt.conductor.shared.store, input.format.name);
  const ctx: RequestContext = decode(
    rt,
    {
      requestId: `explain-${Date.now().toString(36)}`,
      client: input.client,
      format: input.format,
      operation: 'generate',
      body: JsonBody.fromValue(input.body),
      urlModel: input.model,
      headers: input.headers,
      signal: new AbortController().signal,
      startedAt: performance.now(),
      trace,
    },
    { observe: (stage, plugin, verdict, ms) => trace.plugin({ stage, plugin, verdict, ms: Math.round(ms * 100) / 100 }) },
  );
  await route(ctx);
  const { sessionId } = plan(ctx);
  const now = Date.now();
  const chain = ctx.chain.flatMap((pool) => describePool(pool, rt.conductor.shared.store, now));
  let picked: Plan['picked'] = null;
  for (const pool of ctx.chain) {
    const preview = await rt.conductor.preview(pool, sessionId);
    if (!preview) continue;
    const [member, why] = preview;
    picked = { provider: member.provider, model: member.model, credential: member.id, why };
    break;
  }
  return { routers: trace.plugins, ...(ctx.routerId ? { router: ctx.routerId } : {}), chain, picked };
}
