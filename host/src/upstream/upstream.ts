/**
 * The one interface every upstream implements: HTTP providers (`http.ts`) and executor plugins
 * (the pipeline's `executor-upstream.ts`). The conductor's attempts see only this.
 *
 * @module
 */
import type { JsonBody } from '../formats/json-body.js';
import type { SseEvent, WireFormat } from '../formats/wire-format.js';
import type { Flow } from '../streams/flow.js';
import type { RateLimit } from './rate-limits.js';

/** One call to an upstream: a body already in its format. */
export interface UpstreamCall {
  requestId: string;
  /** The model the upstream knows. */
  model: string;
  /** The model the client asked for. */
  requestedModel: string;
  /** The credential the call goes out with (executors are told its id). */
  credentialId: string;
  stream: boolean;
  body: JsonBody;
  /** Headers for this call on top of the upstream's own (forwarded or set by interceptors). */
  headers: Record<string, string>;
  /** Serves the host calls an upstream makes back during the call (an executor plugin's nested requests). */
  hostRequest?(method: string, params: unknown): Promise<unknown>;
}

/** A successful answer: a whole body, or a stream of the upstream format's events. */
export type UpstreamAnswer =
  | { kind: 'json'; body: JsonBody; limits?: RateLimit[] }
  | {
      kind: 'stream';
      /** The rate-limit signals of the answer's headers. */
      limits?: RateLimit[];
      /** Cancelling it stops the stream early (the consumer gave up on it). */
      events: Flow<SseEvent>;
    };

export interface Upstream {
  /** The wire format the upstream speaks. */
  readonly format: WireFormat;
  /**
   * Whether its streams carry the format's own framing (`[DONE]`, `message_stop` ...), so a client
   * of the same format can be sent its events untouched. Executor plugins yield bare events.
   */
  readonly framed: boolean;
  /**
   * Sends a generate call. Rejects with an `UpstreamError` (status, message, retry hint) for an
   * upstream failure, and with the signal's reason when aborted.
   */
  generate(call: UpstreamCall, signal: AbortSignal): Promise<UpstreamAnswer>;
  /** Counts the call's input tokens; undefined when the upstream cannot count (the host estimates). */
  countTokens(call: UpstreamCall, signal: AbortSignal): Promise<number | undefined>;
  /** Lists the models this credential serves; undefined when the upstream has no listing. */
  listModels(signal: AbortSignal): Promise<string[] | undefined>;
  /** Why this credential cannot serve now (an expired token whose refresh failed), if so; absent: always can. */
  unavailable?(now: number): string | undefined;
  /** Removes this upstream's secret from text it wrote (error messages quote the key they refused). */
  redact(text: string): string;
}
