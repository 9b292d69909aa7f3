/**
 * An HTTP provider with one API key as an {@link Upstream}: paths and auth from its format's
 * dialect, calls through the dispatcher of its proxy (or the direct one).
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { JsonBody } from '../formats/json-body.js';
import type { WireFormat } from '../formats/wire-format.js';
import { readJson, readJsonText, sendUpstream } from './client.js';
import { type UpstreamEndpoint, upstreamEndpoint } from './endpoint.js';
import { parseSse } from './sse.js';
import type { Upstream, UpstreamAnswer, UpstreamCall } from './upstream.js';

export class HttpUpstream implements Upstream {
  readonly framed = true;
  readonly #endpoint: UpstreamEndpoint;

  constructor(
    readonly format: WireFormat,
    private readonly agent: Dispatcher,
    config: { baseUrl: string; apiKey: string; headers: Record<string, string>; proxyUrl?: string },
  ) {
    this.#endpoint = upstreamEndpoint(format, config.baseUrl, config.apiKey, config.headers, config.proxyUrl);
  }

  async generate(call: UpstreamCall, signal: AbortSignal): Promise<UpstreamAnswer> {
    const endpoint = this.#endpoint;
    const path = this.format.upstream.chatPath(endpoint.basePath, call.model, call.stream);
    const response = await sendUpstream(this.agent, endpoint, { method: 'POST', path, body: call.body.text, headers: call.headers }, signal);
    if (!call.stream) return { kind: 'json', body: JsonBody.fromText(await readJsonText(response)) };
    return { kind: 'stream', events: parseSse(response.body), release: () => response.body.destroy() };
  }

  async countTokens(call: UpstreamCall, signal: AbortSignal): Promise<number | undefined> {
    const count = this.format.upstream.count;
    if (!count) return undefined;
    const endpoint = this.#endpoint;
    // Through JsonBody: a body too deep to serialise is the request's fault, not the upstream's.
    const body = JsonBody.fromValue(count.body(call.body.value as Record<string, unknown>, call.model)).text;
    const response = await sendUpstream(this.agent, endpoint, { method: 'POST', path: count.path(endpoint.basePath, call.model), body, headers: call.headers }, signal);
    return count.result(await readJson(response));
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    const endpoint = this.#endpoint;
    const response = await sendUpstream(this.agent, endpoint, { method: 'GET', path: this.format.upstream.modelsPath(endpoint.basePath) }, signal);
    return this.format.upstream.parseModelList(await readJson(response));
  }

  redact(text: string): string {
    return this.#endpoint.redact(text);
  }
}
