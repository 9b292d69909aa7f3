/**
 * An HTTP provider with one credential as an {@link Upstream}: paths and auth from its format's
 * dialect, calls through the dispatcher of its proxy (or the direct one). The credential is an
 * API key, or a {@link TokenSource} asked per call (a token that expires); a 401 on a token
 * refreshes it once and the call is sent once more before the failure counts.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { JsonBody } from '../formats/json-body.js';
import type { WireFormat } from '../formats/wire-format.js';
import { jsonText, parseJson, sendUpstream, sendUpstreamText, type UpstreamRequest, type UpstreamSender } from './client.js';
import { type UpstreamEndpoint, upstreamEndpoint } from './endpoint.js';
import type { UpstreamText } from './exchange.js';
import { sseFlow } from './sse.js';
import { UpstreamError } from './errors.js';
import { readRateLimits } from './rate-limits.js';
import type { TokenSource } from './token-source.js';
import { type VertexRoute, type VertexTarget, vertexRoute } from './vertex.js';
import type { Upstream, UpstreamAnswer, UpstreamCall } from './upstream.js';

/** How an HTTP upstream authenticates: a fixed API key, or a source of expiring tokens. */
export type HttpAuth = { apiKey: string } | { source: TokenSource };

export class HttpUpstream implements Upstream {
  readonly framed = true;
  readonly #endpoint: UpstreamEndpoint;
  readonly #source: TokenSource | undefined;
  /** Set when the credential is a service account calling Vertex AI. */
  readonly #vertex: VertexRoute | undefined;

  constructor(
    readonly format: WireFormat,
    private readonly agent: Dispatcher,
    config: { baseUrl: string; auth: HttpAuth; headers: Record<string, string>; proxyUrl?: string; vertex?: VertexTarget },
  ) {
    const { auth } = config;
    this.#source = 'source' in auth ? auth.source : undefined;
    this.#endpoint = upstreamEndpoint(format, config.baseUrl, 'apiKey' in auth ? auth.apiKey : undefined, config.headers, config.proxyUrl);
    this.#vertex = config.vertex && vertexRoute(format, this.#endpoint.basePath, config.vertex);
  }

  /** The root the format's paths hang below: Vertex's publisher root, or the base URL's path. */
  get #basePath(): string {
    return this.#vertex?.basePath ?? this.#endpoint.basePath;
  }

  /** Sends one call by `send` with the credential's auth: a token source's headers go on top of the call's. */
  #send<R>(send: UpstreamSender<R>, call: UpstreamRequest, signal: AbortSignal): Promise<R> {
    const source = this.#source;
    // An API key is in the endpoint's headers already: the call goes as it is, with no await of its own.
    return source ? this.#sendWithToken(send, source, call, signal) : send(this.agent, this.#endpoint, call, signal);
  }

  async #sendWithToken<R>(send: UpstreamSender<R>, source: TokenSource, call: UpstreamRequest, signal: AbortSignal): Promise<R> {
    const auth = await source.headers(signal);
    try {
      return await send(this.agent, this.#endpoint, { ...call, headers: { ...call.headers, ...auth } }, signal);
    } catch (err) {
      if (!(err instanceof UpstreamError) || err.status !== 401) throw err;
      // The token was refused before it expired (revoked, rotated elsewhere): one refresh, one more try.
      await source.refused(auth, signal);
      return send(this.agent, this.#endpoint, { ...call, headers: { ...call.headers, ...(await source.headers(signal)) } }, signal);
    }
  }

  async generate(call: UpstreamCall, signal: AbortSignal): Promise<UpstreamAnswer> {
    const vertex = this.#vertex;
    const path = vertex?.chatPath ? vertex.chatPath(call.model, call.stream) : this.format.upstream.chatPath(this.#basePath, call.model, call.stream);
    const upstreamCall: UpstreamRequest = { method: 'POST', path, body: (vertex?.body ? vertex.body(call.body) : call.body).text, headers: call.headers };
    let answer: UpstreamAnswer;
    let headers: UpstreamText['headers'];
    if (call.stream) {
      const response = await this.#send(sendUpstream, upstreamCall, signal);
      answer = { kind: 'stream', events: sseFlow(response.body) };
      headers = response.headers;
    } else {
      const response = await this.#send(sendUpstreamText, upstreamCall, signal);
      answer = { kind: 'json', body: JsonBody.fromText(jsonText(response)) };
      headers = response.headers;
    }
    const limits = readRateLimits(headers, Date.now());
    if (limits.length > 0) answer.limits = limits;
    return answer;
  }

  async countTokens(call: UpstreamCall, signal: AbortSignal): Promise<number | undefined> {
    const count = this.format.upstream.count;
    if (!count || this.#vertex?.counts === false) return undefined;
    // Through JsonBody: a body too deep to serialise is the request's fault, not the upstream's.
    const body = JsonBody.fromValue(count.body(call.body.value as Record<string, unknown>, call.model)).text;
    const response = await this.#send(sendUpstreamText, { method: 'POST', path: count.path(this.#basePath, call.model), body, headers: call.headers }, signal);
    return count.result(parseJson(response));
  }

  async listModels(signal: AbortSignal): Promise<string[] | undefined> {
    // Vertex AI lists no publisher models to a service account: its providers name their models.
    if (this.#vertex) return undefined;
    const response = await this.#send(sendUpstreamText, { method: 'GET', path: this.format.upstream.modelsPath(this.#endpoint.basePath) }, signal);
    return this.format.upstream.parseModelList(parseJson(response));
  }

  unavailable(now: number): string | undefined {
    return this.#source?.unavailable(now);
  }

  redact(text: string): string {
    const scrubbed = this.#endpoint.redact(text);
    return this.#source ? this.#source.redact(scrubbed) : scrubbed;
  }
}
