/**
 * The story of a chat request after HTTP: decode the client body, route it (router plugins,
 * else the model name) to a chain of credential pools, run the beforeAuth interceptors, and let
 * the conductor run attempts over the chain. One attempt translates for the member's upstream,
 * runs the afterAuth interceptors, calls the upstream (HTTP or an executor plugin) and
 * translates back. For streams the attempt ends when the first client event is in hand, so
 * failover stays transparent until the first byte. Successful answers pass the response or
 * stream interceptors on the way out.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { extractSessionId } from '../core/conductor/affinity.js';
import type { PoolMember } from '../core/conductor/pool.js';
import type { Runtime } from '../core/runtime.js';
import { gatewayError } from '../errors/registry.js';
import type { SseEvent, WireEvent } from '../formats/codec.js';
import { CODECS } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { CLIENT_AUTH_HEADERS } from '../http/auth.js';
import { readJson, readJsonText, sendUpstream } from '../upstream/client.js';
import { UpstreamError } from '../upstream/errors.js';
import { chatPath } from '../upstream/providers.js';
import { parseSse } from '../upstream/sse.js';
import { callExecutor } from './plugins/executor.js';
import { interceptRequest, interceptResponse, interceptStream } from './plugins/intercept.js';
import { routeModel } from './plugins/route.js';
import { type UpstreamBody, mergeDropped, serialisable, translateRequest, translateResponse, translateStream } from './translate.js';

/**
 * Told of each upstream call and served request, for metrics. Its methods run on the request
 * path: keep them cheap.
 */
export interface PipelineObserver {
  /** One upstream call (HTTP or executor plugin) answered or failed `seconds` after it was sent; a stream counts until its first event. */
  upstreamCall(provider: string, seconds: number): void;
  /** A stream's first event was ready for the client `seconds` after the request arrived. */
  firstEvent(provider: string, seconds: number): void;
  /** The host's own time for a served request (`x-switchyard-overhead-ms`). */
  overhead(seconds: number): void;
}

export interface ChatRequest {
  requestId: string;
  /** The client's wire format (the endpoint it called). */
  format: FormatName;
  body: unknown;
  /** The JSON text `body` was parsed from, when the host has it (sent upstream as is when nothing changes). */
  bodyText?: string;
  /** Gemini puts the model and the stream flag in the URL. */
  urlModel?: string;
  urlStream?: boolean;
  headers: IncomingHttpHeaders;
  query?: Record<string, string | undefined>;
  /**
   * Aborted when the client goes away, or with a `GatewayError` when the host ends the request
   * (shutdown): then the client is still there and is told in its format.
   */
  signal: AbortSignal;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** A nested call from this plugin: its router is skipped. */
  skipRouter?: string;
}

/** `body` is an object, or JSON text when `rawJson` (a same-format answer sent back as it came). */
export type ChatResult =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: unknown; rawJson?: boolean }
  | { kind: 'stream'; headers: Record<string, string>; events: AsyncIterable<WireEvent> };

type Served =
  | { kind: 'json'; body: unknown; rawJson: boolean; dropped: readonly string[] }
  | { kind: 'stream'; events: AsyncIterable<WireEvent> };

/** Runs one chat request. Throws a `GatewayError` for anything the client should see as an error. */
export async function proxyChat(rt: Runtime, req: ChatRequest): Promise<ChatResult> {
  const client = CODECS[req.format];
  const plugins = rt.plugins;
  let rawBody = asObject(req.body);
  let rawText = req.bodyText;
  let decoded = client.decodeRequest(rawBody, { model: req.urlModel, stream: req.urlStream });
  const { model: requested, stream } = decoded.request;
  // Each plugin stage costs only when a plugin takes part in it (the lists are cached).
  const interceptors = plugins.active('requestInterceptor');
  const beforeAuth = interceptors.some((p) => p.interceptorPhase === 'beforeAuth') || plugins.failClosedDown().length > 0;
  const afterAuth = interceptors.some((p) => p.interceptorPhase === 'afterAuth');
  const clientHeaders = beforeAuth || plugins.active('modelRouter').length > 0 ? pluginHeaders(req.headers) : {};

  const { chain, routerId } = await routeModel(rt, {
    requestId: req.requestId,
    format: req.format,
    model: requested,
    stream,
    headers: clientHeaders,
    query: stringValues(req.query),
    body: rawBody,
    skipRouter: req.skipRouter,
  });

  // Headers interceptors add or change travel upstream with the request.
  let upstreamHeaders = forwardedHeaders(req);
  if (beforeAuth) {
    const out = await interceptRequest(
      plugins,
      'beforeAuth',
      { requestId: req.requestId, sourceFormat: req.format, model: chain[0]!.key, requestedModel: requested, stream, headers: clientHeaders, body: rawBody },
      req.signal,
    );
    upstreamHeaders = { ...upstreamHeaders, ...changedHeaders(clientHeaders, out.headers) };
    if (out.bodyChanged) {
      rawBody = asObject(out.body);
      rawText = undefined;
      decoded = client.decodeRequest(rawBody, { model: req.urlModel, stream: req.urlStream });
    }
  }
  const sessionId = rt.config.routing.sessionAffinity ? extractSessionId(req.headers, rawBody, decoded.request) : undefined;

  // Members of one provider share a translation; the body is built once per upstream model.
  const bodies = new Map<string, UpstreamBody>();
  let upstreamMs = 0;
  const attempt = async (member: PoolMember): Promise<Served> => {
    const upstream = CODECS[member.providerRuntime.type];
    const cacheKey = `${upstream.name}|${member.model}`;
    let translated = bodies.get(cacheKey);
    if (!translated) {
      translated = serialisable(() => translateRequest(client, upstream, decoded, rawBody, member.model, rawText));
      bodies.set(cacheKey, translated);
    }
    let body = translated.body;
    let headers = upstreamHeaders;
    if (afterAuth) {
      const out = await interceptRequest(
        plugins,
        'afterAuth',
        { requestId: req.requestId, sourceFormat: req.format, model: member.model, requestedModel: requested, stream, headers, body: JSON.parse(body), provider: member.provider, credentialId: member.id },
        req.signal,
      );
      headers = out.headers;
      if (out.bodyChanged) body = JSON.stringify(out.body);
    }
    const sentAt = performance.now();
    try {
      let json: unknown;
      let events: AsyncIterable<SseEvent>;
      let release = () => {};
      if (member.providerRuntime.plugin) {
        const served = await callExecutor(rt, member, { requestId: req.requestId, requestedModel: requested, stream, body: JSON.parse(body), headers }, req.signal);
        if (served.kind === 'json') json = served.body;
        else events = served.events;
      } else {
        const endpoint = member.credential.endpoint!;
        const path = chatPath(endpoint, member.model, stream);
        const response = await sendUpstream(rt.agent, endpoint, { method: 'POST', path, body, headers }, req.signal, upstream.errorMessage);
        // Same format: the answer goes back as the upstream wrote it, never parsed.
        if (!stream && client === upstream) return { kind: 'json', body: await readJsonText(response), rawJson: true, dropped: translated.dropped };
        if (!stream) json = await readJson(response);
        else {
          events = parseSse(response.body);
          release = () => response.body.destroy();
        }
      }
      if (!stream) {
        let out: { body: unknown; dropped: readonly string[] };
        try {
          out = translateResponse(client, upstream, json);
        } catch (err) {
          throw new UpstreamError('http', `upstream answer could not be read: ${(err as Error).message}`, 200);
        }
        return { kind: 'json', body: out.body, rawJson: false, dropped: mergeDropped(translated.dropped, out.dropped) };
      }
      const onLateFailure = (err: unknown) => rt.conductor.failedLate(member, err);
      const passthrough = client === upstream && !member.providerRuntime.plugin;
      const redact = member.credential.endpoint?.redact;
      const translatedEvents = translateStream(events!, client, upstream, req.signal, onLateFailure, passthrough, redact)[Symbol.asyncIterator]();
      let first: IteratorResult<WireEvent>;
      try {
        first = await translatedEvents.next();
      } catch (err) {
        release();
        // An error event's text becomes the attempt's reason: scrub the key from it like any upstream text.
        if (redact && err instanceof Error) err.message = redact(err.message);
        throw err;
      }
      if (first.done) throw new UpstreamError('stream', 'upstream stream was empty');
      return { kind: 'stream', events: prepend(first.value, translatedEvents) };
    } finally {
      const ms = performance.now() - sentAt;
      upstreamMs += ms;
      rt.observer?.upstreamCall(member.provider, ms / 1000);
    }
  };

  const { value, member, attempts } = await rt.conductor.run(chain, { requestedModel: requested, signal: req.signal, sessionId }, attempt);
  let headers: Record<string, string> = {
    'x-switchyard-request-id': req.requestId,
    'x-switchyard-provider': member.provider,
    'x-switchyard-model': member.model,
    'x-switchyard-credential': member.id,
    'x-switchyard-attempts': String(attempts.length + 1),
  };
  if (routerId !== undefined) headers['x-switchyard-router'] = routerId;
  const dropped = value.kind === 'json' ? value.dropped : bodies.get(`${member.providerRuntime.type}|${member.model}`)!.dropped;
  if (dropped.length > 0) headers['x-switchyard-dropped'] = dropped.join(',');
  const overhead = () => {
    const ms = Math.max(0, performance.now() - req.startedAt - upstreamMs);
    rt.observer?.overhead(ms / 1000);
    return ms.toFixed(3);
  };

  if (value.kind === 'stream') {
    rt.observer?.firstEvent(member.provider, (performance.now() - req.startedAt) / 1000);
    headers['x-switchyard-overhead-ms'] = overhead();
    const meta = { requestId: req.requestId, sourceFormat: req.format };
    const events = plugins.active('streamInterceptor').length > 0 ? interceptStream(plugins, value.events, meta) : value.events;
    return { kind: 'stream', headers, events };
  }
  let { body, rawJson } = value;
  if (plugins.active('responseInterceptor').length > 0) {
    // Interceptors read objects: parse only when one is there.
    const parsed = rawJson ? JSON.parse(body as string) : body;
    ({ headers, body } = await interceptResponse(plugins, { ...meta(req, member), status: 200, headers, body: parsed }));
    rawJson = false;
  }
  headers['x-switchyard-overhead-ms'] = overhead();
  return { kind: 'json', status: 200, headers, body, rawJson };
}

function meta(req: ChatRequest, member: PoolMember) {
  return { requestId: req.requestId, sourceFormat: req.format, model: member.model, provider: member.provider };
}

/** The body as an object, or 400. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw gatewayError('invalid_body', 'body: expected a JSON object');
  return body as Record<string, unknown>;
}

/** Client headers an upstream of the same family understands (Anthropic beta flags). */
function forwardedHeaders(req: ChatRequest): Record<string, string> {
  const beta = req.headers['anthropic-beta'];
  return req.format === 'anthropic' && typeof beta === 'string' ? { 'anthropic-beta': beta } : {};
}

/** Client headers as plugins see them: single strings, the client's credentials removed. */
function pluginHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || (CLIENT_AUTH_HEADERS as readonly string[]).includes(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The headers interceptors set or changed (deletions only matter for what the host forwards). */
function changedHeaders(before: Record<string, string>, after: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(after)) if (before[name] !== value) out[name] = value;
  return out;
}

function stringValues(query: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query ?? {})) if (typeof v === 'string' && k !== 'key') out[k] = v;
  return out;
}

/**
 * `head`, then the rest of `rest`. A plain iterator rather than a generator: it hands each later
 * event straight through instead of resuming a generator per event. Stopping early (the client
 * left) returns `rest`, which releases the upstream stream.
 */
function prepend<T>(head: T, rest: AsyncIterator<T>): AsyncIterableIterator<T> {
  let first = true;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (!first) return rest.next();
      first = false;
      return Promise.resolve({ value: head, done: false });
    },
    async return(value?: unknown) {
      first = false;
      await rest.return?.(value);
      return { value: undefined, done: true };
    },
  };
}
