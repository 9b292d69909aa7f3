/**
 * The story of a chat request after HTTP: decode the client body, resolve the model to a chain
 * of credential pools, and let the conductor run attempts over it. One attempt translates for
 * the member's upstream, calls it, and translates back. For streams the attempt ends when the
 * first client event is in hand, so failover stays transparent until the first byte.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { resolveChain } from '../core/chain.js';
import { extractSessionId } from '../core/conductor/affinity.js';
import type { PoolMember } from '../core/conductor/pool.js';
import type { Runtime } from '../core/runtime.js';
import { gatewayError } from '../errors/registry.js';
import type { WireEvent } from '../formats/codec.js';
import { CODECS } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { readJson, sendUpstream } from '../upstream/client.js';
import { UpstreamError } from '../upstream/errors.js';
import { chatPath } from '../upstream/providers.js';
import { parseSse } from '../upstream/sse.js';
import { type UpstreamBody, mergeDropped, translateRequest, translateResponse, translateStream } from './translate.js';

export interface ChatRequest {
  requestId: string;
  /** The client's wire format (the endpoint it called). */
  format: FormatName;
  body: unknown;
  /** Gemini puts the model and the stream flag in the URL. */
  urlModel?: string;
  urlStream?: boolean;
  headers: IncomingHttpHeaders;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
}

export type ChatResult =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: unknown }
  | { kind: 'stream'; headers: Record<string, string>; events: AsyncIterable<WireEvent> };

type Served =
  | { kind: 'json'; body: unknown; dropped: readonly string[] }
  | { kind: 'stream'; events: AsyncIterable<WireEvent> };

/** Runs one chat request. Throws a `GatewayError` for anything the client should see as an error. */
export async function proxyChat(rt: Runtime, req: ChatRequest): Promise<ChatResult> {
  const client = CODECS[req.format];
  const rawBody = asObject(req.body);
  const decoded = client.decodeRequest(rawBody, { model: req.urlModel, stream: req.urlStream });
  const { request } = decoded;
  const chain = resolveChain(rt, request.model);
  const sessionId = rt.config.routing.sessionAffinity ? extractSessionId(req.headers, rawBody, request) : undefined;

  // Members of one provider share a translation; the body is built once per upstream model.
  const bodies = new Map<string, UpstreamBody>();
  let upstreamMs = 0;
  const attempt = async (member: PoolMember): Promise<Served> => {
    const upstream = CODECS[member.providerRuntime.type];
    const cacheKey = `${upstream.name}|${member.model}`;
    let translated = bodies.get(cacheKey);
    if (!translated) {
      translated = translateRequest(client, upstream, decoded, rawBody, member.model);
      bodies.set(cacheKey, translated);
    }
    const endpoint = member.credential.endpoint;
    const sentAt = performance.now();
    try {
      const response = await sendUpstream(
        rt.agent,
        endpoint,
        { method: 'POST', path: chatPath(endpoint, member.model, request.stream), body: translated.body, headers: forwardedHeaders(req, upstream.name) },
        req.signal,
        upstream.errorMessage,
      );
      if (!request.stream) {
        const json = await readJson(response);
        let out: { body: unknown; dropped: readonly string[] };
        try {
          out = translateResponse(client, upstream, json);
        } catch (err) {
          throw new UpstreamError('http', `upstream answer could not be read: ${(err as Error).message}`, response.status);
        }
        return { kind: 'json', body: out.body, dropped: mergeDropped(translated.dropped, out.dropped) };
      }
      const onLateFailure = (err: unknown) => rt.conductor.failedLate(member, err);
      const events = translateStream(parseSse(response.body), client, upstream, req.signal, onLateFailure)[Symbol.asyncIterator]();
      let first: IteratorResult<WireEvent>;
      try {
        first = await events.next();
      } catch (err) {
        response.body.destroy();
        throw err;
      }
      if (first.done) throw new UpstreamError('stream', 'upstream stream was empty');
      return { kind: 'stream', events: prepend(first.value, events) };
    } finally {
      upstreamMs += performance.now() - sentAt;
    }
  };

  const { value, member, attempts } = await rt.conductor.run(chain, { requestedModel: request.model, signal: req.signal, sessionId }, attempt);
  const headers: Record<string, string> = {
    'x-switchyard-request-id': req.requestId,
    'x-switchyard-provider': member.provider,
    'x-switchyard-model': member.model,
    'x-switchyard-credential': member.id,
    'x-switchyard-attempts': String(attempts.length + 1),
    'x-switchyard-overhead-ms': Math.max(0, performance.now() - req.startedAt - upstreamMs).toFixed(3),
  };
  const dropped = value.kind === 'json' ? value.dropped : bodies.get(`${member.providerRuntime.type}|${member.model}`)!.dropped;
  if (dropped.length > 0) headers['x-switchyard-dropped'] = dropped.join(',');
  return value.kind === 'json' ? { kind: 'json', status: 200, headers, body: value.body } : { kind: 'stream', headers, events: value.events };
}

/** The body as an object, or 400. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw gatewayError('invalid_body', 'body: expected a JSON object');
  return body as Record<string, unknown>;
}

/** Client headers an upstream of the same family understands (Anthropic beta flags). */
function forwardedHeaders(req: ChatRequest, upstream: FormatName): Record<string, string> | undefined {
  const beta = req.headers['anthropic-beta'];
  return req.format === 'anthropic' && upstream === 'anthropic' && typeof beta === 'string' ? { 'anthropic-beta': beta } : undefined;
}

async function* prepend<T>(head: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    yield head;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A consumer that stops early (client gone) must still release the upstream stream.
    await rest.return?.();
  }
}
