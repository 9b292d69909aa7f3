/**
 * The story of a chat request after HTTP: decode the client body, resolve the model to a
 * provider and credential, translate, call the upstream, translate back. Returns either a
 * whole JSON answer or a stream whose first event is already in hand, so errors before the
 * first byte are still plain JSON errors with their status.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Runtime } from '../core/runtime.js';
import { gatewayError } from '../errors/registry.js';
import type { WireEvent } from '../formats/codec.js';
import { CODECS } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import { readJson, sendUpstream } from '../upstream/client.js';
import { UpstreamError } from '../upstream/errors.js';
import { chatPath } from '../upstream/providers.js';
import { parseSse } from '../upstream/sse.js';
import { type Attempt, attemptsError, failedAttempt } from './attempts.js';
import { resolveTarget } from './resolve.js';
import { translateRequest, translateResponse, translateStream } from './translate.js';

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

/** Runs one chat request. Throws a `GatewayError` for anything the client should see as an error. */
export async function proxyChat(rt: Runtime, req: ChatRequest): Promise<ChatResult> {
  const client = CODECS[req.format];
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw gatewayError('invalid_body', 'body: expected a JSON object');
  }
  const rawBody = req.body as Record<string, unknown>;
  const decoded = client.decodeRequest(rawBody, { model: req.urlModel, stream: req.urlStream });
  const requested = decoded.request.model;
  const target = resolveTarget(rt, requested);
  const credential = target.provider.credentials[0]!;
  const upstream = CODECS[target.provider.type];
  const stream = decoded.request.stream;
  const { body, dropped } = translateRequest(client, upstream, decoded, rawBody, target.model);

  const where = { provider: target.provider.name, model: target.model, credentialId: credential.id };
  const attempts: Attempt[] = [];
  const sentAt = performance.now();
  const fail = (err: unknown): never => {
    if (req.signal.aborted) throw err;
    attempts.push(failedAttempt(err, where, performance.now() - sentAt));
    throw attemptsError(requested, attempts);
  };

  const response = await sendUpstream(
    rt.agent,
    credential.endpoint,
    { method: 'POST', path: chatPath(credential.endpoint, target.model, stream), body, headers: forwardedHeaders(req, upstream.name) },
    req.signal,
    upstream.errorMessage,
  ).catch(fail);

  const headers = (upstreamMs: number): Record<string, string> => {
    const h: Record<string, string> = {
      'x-switchyard-request-id': req.requestId,
      'x-switchyard-provider': target.provider.name,
      'x-switchyard-model': target.model,
      'x-switchyard-credential': credential.id,
      'x-switchyard-attempts': String(attempts.length + 1),
      'x-switchyard-overhead-ms': (performance.now() - req.startedAt - upstreamMs).toFixed(3),
    };
    if (dropped.length > 0) h['x-switchyard-dropped'] = dropped.join(',');
    return h;
  };

  if (!stream) {
    const json = await readJson(response).catch(fail);
    const upstreamMs = performance.now() - sentAt;
    let translated: { body: unknown; dropped: readonly string[] };
    try {
      translated = translateResponse(client, upstream, json);
    } catch (err) {
      return fail(new UpstreamError('http', `upstream answer could not be read: ${(err as Error).message}`, response.status));
    }
    const h = headers(upstreamMs);
    if (translated.dropped.length > 0) {
      h['x-switchyard-dropped'] = [...new Set([...dropped, ...translated.dropped])].join(',');
    }
    return { kind: 'json', status: 200, headers: h, body: translated.body };
  }

  const events = translateStream(parseSse(response.body), client, upstream, req.signal)[Symbol.asyncIterator]();
  let first: IteratorResult<WireEvent>;
  try {
    first = await events.next();
  } catch (err) {
    response.body.destroy();
    return fail(err);
  }
  if (first.done) return fail(new UpstreamError('stream', 'upstream stream was empty'));
  return { kind: 'stream', headers: headers(performance.now() - sentAt), events: prepend(first.value, events) };
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
