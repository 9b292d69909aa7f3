/**
 * The interface every wire format implements: one codec per format, used on the client side
 * (decode requests, encode responses and stream events) and on the upstream side (encode
 * requests, decode responses and stream events).
 *
 * @module
 */
import type { FormatName, IRRequest, IRResponse, IRStreamEvent } from './ir.js';

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

/** A wire format: everything format-specific the host needs. */
export interface FormatCodec {
  readonly name: FormatName;

  /**
   * Validates and decodes a client request body. Throws `GatewayError` `invalid_body` (400)
   * whose message names the offending field, e.g. `messages[1].content: expected string or array`.
   */
  decodeRequest(body: unknown, options: DecodeOptions): DecodedRequest;
  /** Encodes an IR request as this format's upstream body (Gemini: without model/stream, they go in the URL). */
  encodeRequest(request: IRRequest): EncodedBody;

  /** Decodes an upstream non-stream response body. */
  decodeResponse(body: unknown): IRResponse;
  /** Encodes an IR response as this format's client response body. */
  encodeResponse(response: IRResponse): EncodedBody;

  createStreamDecoder(): StreamDecoder;
  createStreamEncoder(): StreamEncoder;
  /**
   * Whether an upstream stream event of this format may carry a finish or an error: a cheap test
   * of its text, true when unsure. A same-format pass-through forwards events untouched and
   * decodes only these (and the first), instead of parsing every delta.
   */
  mayFinishOrFail(event: SseEvent): boolean;

  /** This format's model listing body. */
  encodeModelList(models: readonly ModelListing[]): unknown;
  /** Pulls a human-readable message out of an upstream error body of this format. */
  errorMessage(body: unknown): string | undefined;
}
