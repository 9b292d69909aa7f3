/**
 * Stage 5, attempt: what the conductor runs for each credential it picks. The client's body is
 * translated for the credential's upstream (once per upstream format and model), the
 * `afterAuth` interceptors see it with the chosen provider and credential, and the upstream is
 * called. A stream attempt ends when its first client events are in hand, so failover stays
 * transparent until the first byte; a count attempt asks the upstream to count, or estimates.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { PoolMember } from '../../core/conductor/pool.js';
import { JsonBody } from '../../formats/json-body.js';
import type { WireEvent } from '../../formats/wire-format.js';
import { type Flow, firstBatch } from '../../streams/flow.js';
import { UpstreamError } from '../../upstream/errors.js';
import type { RateLimit } from '../../upstream/rate-limits.js';
import type { UpstreamAnswer, UpstreamCall } from '../../upstream/upstream.js';
import type { RequestContext, Translation } from '../context.js';
import { estimateTokens } from '../estimate.js';
import { interceptRequest } from '../plugins/intercept.js';
import { mergeDropped, serialisable, translateRequest, translateResponse, translateStream } from '../translate.js';

/** What one successful attempt served. */
export type Served =
  | { kind: 'json'; body: JsonBody; dropped: readonly string[] }
  | { kind: 'stream'; events: Flow<WireEvent>; dropped: readonly string[] }
  | { kind: 'count'; tokens: number };

/** One generate attempt on `member`. Throws what the upstream failed with. */
export async function attemptGenerate(ctx: RequestContext, member: PoolMember, signal: AbortSignal = ctx.signal): Promise<Served> {
  const prepared = prepare(ctx, member);
  const { call, translation } = prepared instanceof Promise ? await prepared : prepared;
  const upstream = member.credential.upstream;
  const client = ctx.format;
  const sentAt = performance.now();
  try {
    let answer: UpstreamAnswer;
    try {
      answer = await generateOrRepair(ctx, member, call, translation, signal);
    } catch (err) {
      if (err instanceof UpstreamError && err.limits) headroom(ctx, member, err.limits);
      throw err;
    }
    if (answer.limits) headroom(ctx, member, answer.limits);
    if (answer.kind === 'json') {
      // Same format: the answer goes back as the upstream wrote it, never parsed.
      if (client === upstream.format) return { kind: 'json', body: answer.body, dropped: translation.dropped };
      let out: { body: unknown; dropped: readonly string[] };
      try {
        out = translateResponse(client, upstream.format, answer.body.value);
      } catch (err) {
        throw new UpstreamError('http', `upstream answer could not be read: ${(err as Error).message}`, 200);
      }
      return { kind: 'json', body: JsonBody.fromValue(out.body), dropped: mergeDropped(translation.dropped, out.dropped) };
    }
    const translated = translateStream(answer.events, client, upstream.format, signal, {
      onLateFailure: (err) => ctx.rt.conductor.failedLate(member, err),
      onUsage: ctx.trace && ((usage) => (ctx.trace!.usage = usage)),
      passthrough: client === upstream.format && upstream.framed,
      redact: (text) => upstream.redact(text),
    });
    let events: Flow<WireEvent>;
    try {
      events = await firstBatch(translated, () => new UpstreamError('stream', 'upstream stream was empty'));
    } catch (err) {
      answer.events.cancel();
      // An error event's text becomes the attempt's reason: scrub the key from it like any upstream text.
      if (err instanceof Error) err.message = upstream.redact(err.message);
      throw err;
    }
    return { kind: 'stream', events, dropped: translation.dropped };
  } finally {
    timed(ctx, member, sentAt);
  }
}

/**
 * Calls the upstream; when it refuses the request for something it would take left out (see
 * `UpstreamDialect.repair`), calls it once more on the same credential without it. The repaired
 * body replaces the translation for the attempts after this one: no other key takes it either.
 */
async function generateOrRepair(ctx: RequestContext, member: PoolMember, call: UpstreamCall, translation: Translation, signal: AbortSignal): Promise<UpstreamAnswer> {
  const upstream = member.credential.upstream;
  try {
    return await upstream.generate(call, signal);
  } catch (err) {
    const repair = upstream.format.upstream.repair;
    if (!repair || !(err instanceof UpstreamError) || err.status === undefined || !err.body) throw err;
    const repaired = repair(err.status, err.body.text, call.body.value as Record<string, unknown>);
    if (!repaired) throw err;
    const body = JsonBody.fromValue(repaired.body);
    translation.body = body;
    translation.dropped = mergeDropped(translation.dropped, repaired.dropped);
    return upstream.generate({ ...call, body }, signal);
  }
}

/** One token count attempt on `member`: the upstream counts, or the host estimates. */
export async function attemptCount(ctx: RequestContext, member: PoolMember, signal: AbortSignal = ctx.signal): Promise<Served> {
  const prepared = prepare(ctx, member);
  const { call } = prepared instanceof Promise ? await prepared : prepared;
  const sentAt = performance.now();
  try {
    const tokens = await member.credential.upstream.countTokens(call, signal);
    return { kind: 'count', tokens: tokens ?? serialisable(() => estimateTokens(ctx.decoded.request)) };
  } finally {
    timed(ctx, member, sentAt);
  }
}

/** What an attempt sends: the upstream call, and the translation it was made from. */
interface Prepared {
  call: UpstreamCall;
  translation: Translation;
}

/**
 * The upstream call for `member`: the translated body, through the `afterAuth` interceptors. A
 * promise only when such an interceptor is active: without one, nothing is awaited.
 */
function prepare(ctx: RequestContext, member: PoolMember): Prepared | Promise<Prepared> {
  const translation = translationFor(ctx, member);
  const plugins = ctx.rt.plugins;
  if (!plugins.active('requestInterceptor').some((p) => p.interceptorPhase === 'afterAuth')) return callFor(ctx, member, translation, translation.body, ctx.upstreamHeaders);
  const request = ctx.decoded.request;
  return interceptRequest(
    plugins,
    'afterAuth',
    {
      requestId: ctx.requestId,
      sourceFormat: ctx.format.name,
      model: member.model,
      requestedModel: request.model,
      stream: request.stream,
      headers: ctx.upstreamHeaders,
      body: translation.body.value,
      provider: member.provider,
      credentialId: member.id,
    },
    ctx.pluginCall,
  ).then((out) => callFor(ctx, member, translation, out.bodyChanged ? JsonBody.fromValue(out.body) : translation.body, out.headers));
}

/** The call of `translation` to `member` with `body` and `headers`: the translation's own, or what the interceptors made of them. */
function callFor(ctx: RequestContext, member: PoolMember, translation: Translation, body: JsonBody, headers: Record<string, string>): Prepared {
  const request = ctx.decoded.request;
  const call: UpstreamCall = { requestId: ctx.requestId, model: member.model, requestedModel: request.model, credentialId: member.id, stream: request.stream, body, headers };
  const { hostRequest } = ctx.pluginCall;
  const plugin = member.providerRuntime.plugin;
  if (hostRequest && plugin !== undefined) call.hostRequest = (method, params) => hostRequest(plugin, method, params);
  return { call, translation };
}

/** The client's body for `member`'s upstream format and model; members of one provider share it. */
function translationFor(ctx: RequestContext, member: PoolMember): Translation {
  const format = member.credential.upstream.format;
  const key = `${format.name}|${member.model}`;
  let translation = ctx.translations.get(key);
  if (!translation) {
    const translated = serialisable(() => translateRequest(ctx.format, format, ctx.decoded, ctx.body, member.model));
    const { suffix } = ctx;
    // A thinking suffix sets the upstream's reasoning in its own terms, a same-format body's included.
    translation = suffix ? { ...translated, body: JsonBody.fromValue(format.applyReasoning(translated.body.value as Record<string, unknown>, suffix)) } : translated;
    ctx.translations.set(key, translation);
  }
  return translation;
}

/** Tells the conductor what the upstream said of the credential's limits for this model. */
function headroom(ctx: RequestContext, member: PoolMember, limits: readonly RateLimit[]): void {
  ctx.rt.conductor.limits(member, limits);
}

function timed(ctx: RequestContext, member: PoolMember, sentAt: number): void {
  const ms = performance.now() - sentAt;
  ctx.upstreamMs += ms;
  ctx.rt.observer?.upstreamCall(member.provider, ms / 1000);
}
