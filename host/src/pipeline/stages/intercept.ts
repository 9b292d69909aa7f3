/**
 * Stage 3, intercept: the `beforeAuth` request interceptors (and the fail-closed guards) see the
 * client's request once, before any credential is chosen. Headers they set go upstream; a body
 * they replace is decoded again.
 *
 * @module
 */
import { JsonBody } from '../../formats/json-body.js';
import type { RequestContext } from '../context.js';
import { interceptRequest } from '../plugins/intercept.js';
import { asObject, decodeBody } from './decode.js';

/** A promise only when some interceptor or guard takes part (without one nothing is awaited). */
export function interceptBeforeAuth(ctx: RequestContext): Promise<void> | undefined {
  const plugins = ctx.rt.plugins;
  const wanted = plugins.active('requestInterceptor').some((p) => p.interceptorPhase === 'beforeAuth') || plugins.failClosedDown().length > 0;
  return wanted ? intercept(ctx) : undefined;
}

async function intercept(ctx: RequestContext): Promise<void> {
  const plugins = ctx.rt.plugins;
  const before = ctx.pluginHeaders;
  const request = ctx.decoded.request;
  const out = await interceptRequest(
    plugins,
    'beforeAuth',
    { requestId: ctx.requestId, sourceFormat: ctx.format.name, model: ctx.chain[0]!.key, requestedModel: request.model, stream: request.stream, headers: before, body: ctx.body.value },
    ctx.pluginCall,
  );
  // Only what the interceptors set or changed travels upstream; deletions matter only for what the host forwards.
  for (const [name, value] of Object.entries(out.headers)) if (before[name] !== value) ctx.upstreamHeaders[name] = value;
  if (out.bodyChanged) {
    ctx.body = JsonBody.fromValue(asObject(out.body));
    ({ decoded: ctx.decoded, suffix: ctx.suffix } = decodeBody(ctx, ctx.body));
  }
}
