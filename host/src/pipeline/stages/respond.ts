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

export async function respond(ctx: RequestContext, run: RunResult<Served>): Promise<PipelineResult> {
  const { value, member, attempts } = run;
  const { rt } = ctx;
  let headers: Record<string, string> = {
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
  let body = value.kind === 'count' ? JsonBody.fromValue(ctx.format.count!.encodeResponse(value.tokens)) : value.body;
  if (value.kind === 'json' && rt.plugins.active('responseInterceptor').length > 0) {
    const response = { requestId: ctx.requestId, sourceFormat: ctx.format.name, model: member.model, provider: member.provider, status: 200, headers, body: body.value };
    const out = await interceptResponse(rt.plugins, response, ctx.pluginCall);
    headers = out.headers;
    body = JsonBody.fromValue(out.body);
  }
  if (ctx.trace && value.kind === 'json') ctx.trace.usage = usageOfBody(ctx.format, body);
  headers['x-switchyard-overhead-ms'] = overhead(ctx);
  return { kind: 'json', status: 200, headers, body };
}

/** The host's own time so far, upstream time excluded, for `x-switchyard-overhead-ms`. */
function overhead(ctx: RequestContext): string {
  const ms = Math.max(0, performance.now() - ctx.startedAt - ctx.upstreamMs);
  ctx.rt.observer?.overhead(ms / 1000);
  return ms.toFixed(3);
}
