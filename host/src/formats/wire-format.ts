/**
 * The interface every wire format implements, and everything format-specific the host needs:
 * on the client side the endpoints it serves, request decoding, response and stream encoding,
 * stream framing, error bodies, model listings and token-count shapes; on the upstream side
 * request encoding, response and stream decoding, paths and auth headers, token counting, model
 * listing and the framing of executor plugin events. Adding a format is one folder implementing
 * {@link WireFormat} and one line in `index.ts`.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KindedError } from '../errors/registry.js';
import type { FormatName, IRReasoning, IRRequest, IRResponse, IRStreamEvent, IRUsage } from './ir.js';

/** One server-sent event as it travels on the wire. `data` is the raw data text. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * One client-bound stream event. `data` is an object serialised as JSON, or a literal string
 * (OpenAI's `[DONE]`). `event` is the SSE event name where the format uses one (Anthropic).
 */
export interface WireEvent {
  event?: string;
  data: unknown;
  /**
   * Written verbatim with no SSE framing (SSE streams only). Gemini needs it: its SDK raises a
   * stream error only for a bare JSON error body, not for a `data:` event.
   */
  raw?: true;
}

/** A model entry for listings. */
export interface ModelListing {
  id: string;
  ownedBy: string;
  /** Unix seconds. */
  created: number;
  displayName?: string;
}

/** Options a client request carries outside its body (Gemini puts both in the URL). */
export interface DecodeOptions {
  model?: string;
  stream?: boolean;
}

export interface DecodedRequest {
  request: IRRequest;
  /**
   * Top-level body fields this codec does not map into the IR (dotted paths, e.g.
   * `response_format`, `generationConfig.seed`). They survive a same-format pass-through and
   * are reported in `x-switchyard-dropped` when translated.
   */
  unmapped: string[];
}

export interface EncodedBody {
  body: Record<string, unknown>;
  /** IR content this format cannot carry (e.g. `topK` to OpenAI), as field names. */
  dropped: string[];
}

/** Turns upstream SSE events into IR events. Stateful: one per upstream stream. */
export interface StreamDecoder {
  /**
   * Decodes one upstream SSE event. Throws an {@link UpstreamStreamError} when the event is an
   * error the upstream reported mid-stream.
   */
  decode(event: SseEvent): IRStreamEvent[];
}

/** Turns IR events into client events. Stateful: one per client stream. */
export interface StreamEncoder {
  encode(event: IRStreamEvent): WireEvent[];
  /** The format's clean ending (`[DONE]`, `message_stop`, final usage chunk ...). */
  end(): WireEvent[];
  /** The format's error event, sent instead of a clean ending when the stream breaks. */
  fail(message: string): WireEvent[];
}

/** Raised by a stream decoder when the upstream sends an error event mid-stream. */
export class UpstreamStreamError extends Error {
  constructor(
    message: string,
    /** HTTP-like status the upstream attached, if any (e.g. Anthropic `overloaded_error` ~ 529). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UpstreamStreamError';
  }
}

/** What a client request to one of a format's endpoints asks for. */
export interface Operation {
  kind: 'generate' | 'count';
  /** The model, when the URL names it (Gemini); else the body does. */
  model?: string;
  /** The stream flag, when the URL carries it (Gemini); else the body does. */
  stream?: boolean;
}

/** A `POST` endpoint a format serves to clients. */
export interface FormatEndpoint {
  /** The route path, in fastify's syntax (`/v1beta/models/:target`). */
  readonly url: string;
  /** What a request at this URL asks for. Throws `not_found` for a path the format does not serve. */
  operation(params: Readonly<Record<string, string>>): Operation;
}

/** How a format lists models to clients. */
export interface FormatListing {
  /** The `GET` route of the listing; several formats may share one. */
  readonly url: string;
  /**
   * Whether a listing request at a shared URL is this format's (Anthropic: its version header).
   * Formats that claim are asked first; the one without `claims` answers the rest.
   */
  claims?(headers: IncomingHttpHeaders): boolean;
  /** The `GET` route of a single model (`{url}/:target`), when the format has one. */
  readonly itemUrl?: string;
  encodeList(models: readonly ModelListing[]): unknown;
  encodeItem?(model: ModelListing): unknown;
}

/** How a stream's events are written on the wire. */
export interface StreamFraming {
  /** Response headers: content type and those that keep proxies from buffering. */
  readonly headers: Readonly<Record<string, string>>;
  /** The text of one event, or undefined to leave it out; `index` counts the events framed so far. */
  frame(event: WireEvent, index: number): string | undefined;
  /** The text after the last event, given how many were framed. */
  end(count: number): string;
}

/** The upstream API of a format: where calls go, how they authenticate, how counts and listings read. */
export interface UpstreamDialect {
  /** Headers every call carries unless the provider's own headers set them (Anthropic's version). */
  readonly headers: Readonly<Record<string, string>>;
  /** The headers carrying the API key. */
  authHeaders(apiKey: string): Record<string, string>;
  /** The path of a generate call, under the base URL's path. */
  chatPath(basePath: string, model: string, stream: boolean): string;
  /** Token counting, where the API has it (else the host estimates). */
  readonly count?: {
    path(basePath: string, model: string): string;
    /** The count call's body, made from this format's request body for `model`. */
    body(requestBody: Record<string, unknown>, model: string): unknown;
    /** The token count in a count answer. */
    result(body: unknown): number;
  };
  /** The path listing the upstream's models. */
  modelsPath(basePath: string): string;
  /** Model ids out of a listing answer. */
  parseModelList(body: unknown): string[];
  /** An executor plugin's stream event as the SSE event this format's stream decoder reads. */
  executorEvent(event: unknown): SseEvent;
  /** A retry hint an error body carries when the headers carry none (Gemini's `RetryInfo`), in ms. */
  retryDelay?(errorBody: string): number | undefined;
  /** The known kind of failure an error answer of this API says (context too long, overloaded ...), if any. */
  errorKind(status: number, body: string): KindedError | undefined;
  /**
   * A request this API refused that it would take with something left out: the body without it
   * and what was dropped, or undefined. Responses refuses reasoning encrypted for another key
   * (`invalid_encrypted_content`): the same request without it succeeds.
   */
  repair?(status: number, errorBody: string, requestBody: Record<string, unknown>): { body: Record<string, unknown>; dropped: string[] } | undefined;
}

/** The stored conversations of a format that continues them by id (Responses' `previous_response_id`). */
export interface ConversationDialect {
  /** The path of stored answers: `GET` and `DELETE {url}/:id`. */
  readonly url: string;
  /** The id of the answer a request continues, if it names one. */
  previousId(body: Record<string, unknown>): string | undefined;
  /** The request with that answer's history (its input, then its output) before its own input, and no reference left. */
  expand(body: Record<string, unknown>, history: { input: readonly unknown[]; output: readonly unknown[] }): Record<string, unknown>;
  /** Whether the client asked for its answer to be stored (`store` not false). */
  stores(body: Record<string, unknown>): boolean;
  /** The request's input items, its history included (what a continuation of its answer replays). */
  inputOf(body: Record<string, unknown>): unknown[];
  /** An answer's id and output items. */
  answerOf(response: unknown): { id: string; output: unknown[] } | undefined;
  /** The whole answer a stream event carries, when it is the stream's successful terminal event. */
  finalAnswer(event: WireEvent): unknown | undefined;
  /** The body answering a deletion. */
  deleted(id: string): unknown;
}

/** A wire format: everything format-specific the host needs. */
export interface WireFormat {
  readonly name: FormatName;
  /**
   * True when the model and the stream flag travel in the URL rather than the body (Gemini):
   * then a same-format body needs no model rewrite, and nested calls take both from their params.
   */
  readonly modelInUrl: boolean;

  // Client side: the HTTP surface.
  readonly endpoints: readonly FormatEndpoint[];
  /** How the format lists models; absent for a format whose clients use another's listing (Responses uses OpenAI's). */
  readonly listing?: FormatListing;
  /** URL prefixes whose unrouted requests (404, malformed URL) get this format's errors; longest match wins. */
  readonly urlPrefixes: readonly string[];
  /** This format's error body. `code` is the gateway's error code, where the format has a slot for it. */
  errorBody(status: number, code: string, message: string): unknown;
  /** A known kind of upstream failure in this format's own terms: its status and error body. */
  kindError(error: KindedError, message: string): { status: number; body: unknown };
  /** How a stream answer is framed for a request with this query. */
  framing(query: Readonly<Record<string, unknown>>): StreamFraming;
  /** Client headers an upstream of this format still needs when it is the client's own (Anthropic beta flags). */
  forwardHeaders(headers: IncomingHttpHeaders): Record<string, string>;
  /** The token count endpoint's shapes, for a format that has one. */
  readonly count?: {
    /** Validates and decodes a count request (Gemini may wrap it in `generateContentRequest`). */
    decodeRequest(body: unknown, options: DecodeOptions): DecodedRequest;
    encodeResponse(tokens: number): unknown;
  };

  /** Stored conversations, for a format that continues answers by id. */
  readonly conversation?: ConversationDialect;

  // Upstream side.
  readonly upstream: UpstreamDialect;

  /**
   * Validates and decodes a client request body. Throws `GatewayError` `invalid_body` (400)
   * whose message names the offending field, e.g. `messages[1].content: expected string or array`.
   */
  decodeRequest(body: unknown, options: DecodeOptions): DecodedRequest;
  /** Encodes an IR request as this format's upstream body (Gemini: without model/stream, they go in the URL). */
  encodeRequest(request: IRRequest): EncodedBody;
  /**
   * A copy of `body`, an upstream request body of this format, with `reasoning` written in this
   * format's own terms, replacing whatever reasoning setting the body had: the same rules
   * {@link encodeRequest} follows for `IRRequest.reasoning` (Anthropic `thinking` with
   * `max_tokens` kept above the budget, Gemini `generationConfig.thinkingConfig.thinkingBudget`,
   * OpenAI `reasoning_effort` by the level<->budget table). `body` itself is left untouched. The
   * host calls it for a model name's thinking suffix, also on a same-format pass-through body.
   */
  applyReasoning(body: Record<string, unknown>, reasoning: IRReasoning): Record<string, unknown>;

  /** The response body field holding token usage (`usage`, Gemini `usageMetadata`). */
  readonly usageField: string;
  /** That field's object (any object: it may come from an upstream) as IR usage. */
  decodeUsage(usage: object): IRUsage;

  /** Decodes an upstream non-stream response body. */
  decodeResponse(body: unknown): IRResponse;
  /** Encodes an IR response as this format's client response body. */
  encodeResponse(response: IRResponse): EncodedBody;

  createStreamDecoder(): StreamDecoder;
  createStreamEncoder(): StreamEncoder;
  /**
   * Whether an upstream stream event of this format may carry a finish, an error or the token
   * usage: a cheap test of its text, true when unsure. A same-format pass-through forwards events
   * untouched and decodes only these (and the first), instead of parsing every delta.
   */
  mayCarryOutcome(event: SseEvent): boolean;

  /** Pulls a human-readable message out of an upstream error body of this format. */
  errorMessage(body: unknown): string | undefined;
}
