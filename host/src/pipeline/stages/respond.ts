/**
 * Stage 6, respond: the served answer with the `x-switchyard-*` headers, through the response
 * or stream interceptors on the way out. The host's overhead is measured here.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { RunResult } from '../../core/conductor/conductor.js';
import { JsonBody } from '../../formats/json-body.js';
import type { PipelineResult, RequestContext } from '../context.js';
import { interceptResponse } from '../plugins/intercept.js';
import { interceptStream } from '../plugins/intercept-stream.js';
import { usageOfBody } from '../usage.js';
import type { Served } from './attempt.js';

/** The answer to send. A promise only when a response interceptor takes part: without one, nothing is awaited. */
export function respond(ctx: RequestContext, run: RunResult<Served>): PipelineResult | Promise<PipelineResult> {
  const { value, member, attempts } = run;
  const { rt } = ctx;
  const headers: Record<string, string> = {
    'x-switchyard-request-id': ctx.requestId,
    'x-switchyard-provider': member.provider,
    'x-switchyard-model': member.model,
    'x-switchyard-credential': member.id,
    'x-switchyard-attempts': String(attempts.length + 1),
  };
  if (ctx.routerId !== undefined) headers['x-switchyard-router'] = ctx.routerId;
  if (value.kind !== 'count' && value.dropped.length > 0) headers['x-switchyard-dropped'] = value.dropped.join(',');

  if (value.kind === 'stream') {
    const ttftMs = performance.now() - ctx.startedAt;
    rt.observer?.firstEvent(member.provider, ttftMs / 1000);
    if (ctx.trace) ctx.trace.ttftMs = Math.round(ttftMs * 10) / 10;
    headers['x-switchyard-overhead-ms'] = overhead(ctx);
    const meta = { requestId: ctx.requestId, sourceFormat: ctx.format.name };
    const events = rt.plugins.active('streamInterceptor').length > 0 ? interceptStream(rt.plugins, value.events, meta) : value.events;
    return { kind: 'stream', headers, events };
  }
  if (value.kind === 'count') return answer(ctx, headers, JsonBody.fromValue(ctx.format.count!.encodeResponse(value.tokens)), false);
  if (rt.plugins.active('responseInterceptor').length === 0) return answer(ctx, headers, value.body, true);
  const response = { requestId: ctx.requestId, sourceFormat: ctx.format.name, model: member.model, provider: member.provider, status: 200, headers, body: value.body.value };
  return interceptResponse(rt.plugins, response, ctx.pluginCall).then((out) => answer(ctx, out.headers, JsonBody.fromValue(out.body), true));
}

/** A JSON answer with its headers; `generated`: an answer of the model, whose usage the trace takes. */
function answer(ctx: RequestContext, headers: Record<string, string>, body: JsonBody, generated: boolean): PipelineResult {
  if (ctx.trace && generated) ctx.trace.usage = usageOfBody(ctx.format, body);
  headers['x-switchyard-overhead-ms'] = overhead(ctx);
  return { kind: 'json', status: 200, headers, body };
}

/** The host's own time so far, upstream time excluded, for `x-switchyard-overhead-ms`. */
function overhead(ctx: RequestContext): string {
  const ms = Math.max(0, performance.now() - ctx.startedAt - ctx.upstreamMs);
  ctx.rt.observer?.overhead(ms / 1000);
  return ms.toFixed(3);
}
