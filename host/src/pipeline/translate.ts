/**
 * Translation between the client's format and the upstream's, through the IR. When both are
 * the same format the body passes through untouched but for the model, so fields the IR does
 * not model (response_format, safetySettings ...) survive.
 *
 * @module
 */
import { gatewayError, isGatewayError } from '../errors/registry.js';
import type { IRStreamEvent, IRUsage } from '../formats/ir.js';
import { JsonBody } from '../formats/json-body.js';
import type { DecodedRequest, SseEvent, WireEvent, WireFormat } from '../formats/wire-format.js';
import { UpstreamStreamError } from '../formats/wire-format.js';
import { Channel, type Flow } from '../streams/flow.js';
import { UpstreamError } from '../upstream/errors.js';
import type { Translation } from './context.js';

/**
 * Builds the upstream request body for `model`. The client's body goes as it is (its very bytes
 * when the host has them) when the upstream speaks the client's format and the model is unchanged.
 */
export function translateRequest(client: WireFormat, upstream: WireFormat, decoded: DecodedRequest, body: JsonBody, model: string): Translation {
  if (client === upstream) {
    const value = body.value as Record<string, unknown>;
    const unchanged = client.modelInUrl || value.model === model;
    return { body: unchanged ? body : JsonBody.fromValue({ ...value, model }), dropped: [] };
  }
  const encoded = upstream.encodeRequest({ ...decoded.request, model });
  return { body: JsonBody.fromValue(encoded.body), dropped: mergeDropped(decoded.unmapped, encoded.dropped) };
}

/** Translates a non-stream upstream body into the client's format. */
export function translateResponse(client: WireFormat, upstream: WireFormat, body: unknown): { body: unknown; dropped: readonly string[] } {
  if (client === upstream) return { body, dropped: [] };
  const encoded = client.encodeResponse(upstream.decodeResponse(body));
  return { body: encoded.body, dropped: encoded.dropped };
}

const NOTHING: readonly IRStreamEvent[] = [];

export interface StreamOptions {
  /** Told of a failure after the first event, which the stream itself reports to the client. */
  onLateFailure?: (err: unknown) => void;
  /**
   * Forward same-format events untouched (default: when the formats match). Executor plugins
   * yield events without their format's framing (`[DONE]`, ...), so theirs always go through the
   * IR and the client's encoder.
   */
  passthrough?: boolean;
  /** Told the token usage the upstream reported (once per stream, as the decoders emit it). */
  onUsage?: (usage: IRUsage) => void;
  /** Scrubs the credential's key from upstream text before it reaches the client. */
  redact?: (text: string) => string;
}

/**
 * Translates an upstream SSE stream into client events, batch by batch as the upstream's reads
 * arrive. Until the first client event is out a failure fails the flow, so the caller can still
 * answer with a plain error (or fail over); after it, a failure ends the stream with the client
 * format's error event, never a clean end. A stream that ends without a finish reason was cut
 * and counts as a failure.
 */
export function translateStream(events: Flow<SseEvent>, client: WireFormat, upstream: WireFormat, signal: AbortSignal, options: StreamOptions = {}): Flow<WireEvent> {
  const { onLateFailure, onUsage, passthrough = client === upstream, redact = (text: string) => text } = options;
  const decoder = upstream.createStreamDecoder();
  const encoder = client.createStreamEncoder();
  let started = false;
  let finished = false;

  const failed = (err: unknown) => {
    // Before the first event the caller still answers; a client that left needs no answer.
    if (!started || (signal.aborted && !isGatewayError(signal.reason))) return out.fail(err);
    // The host ending the request (shutdown) is not the credential's fault.
    if (signal.aborted) out.push(encoder.fail((signal.reason as Error).message));
    else {
      onLateFailure?.(err);
      out.push(encoder.fail(redact(streamFailureMessage(err))));
    }
    out.end();
  };

  const translate = (batch: readonly SseEvent[]) => {
    const wire: WireEvent[] = [];
    try {
      // The host ending the request must end the stream even if the upstream ignores the abort.
      if (signal.aborted) throw signal.reason;
      for (const event of batch) {
        // A pass-through decodes only its first event (a stream garbled from the start still fails
        // over) and those that may finish or fail it or report usage; every other event leaves unparsed.
        const decoded = passthrough && started && !upstream.mayCarryOutcome(event) ? NOTHING : decoder.decode(event);
        for (const e of decoded) {
          if (e.type === 'finish') finished = true;
          else if (e.type === 'usage') onUsage?.(e.usage);
        }
        if (passthrough) {
          started = true;
          wire.push(event);
          continue;
        }
        for (const e of decoded) {
          for (const encoded of encoder.encode(e)) {
            started = true;
            wire.push(encoded);
          }
        }
      }
    } catch (err) {
      events.cancel();
      out.push(wire);
      return failed(err);
    }
    out.push(wire);
  };

  const out: Channel<WireEvent> = new Channel<WireEvent>({
    start: () =>
      events.start({
        batch: translate,
        end() {
          if (!finished) return failed(new UpstreamError('stream', 'upstream stream ended before it finished'));
          if (!passthrough) out.push(encoder.end());
          out.end();
        },
        fail: failed,
      }),
    pause: () => events.pause(),
    resume: () => events.resume(),
    cancel: () => events.cancel(),
  });
  return out;
}

function streamFailureMessage(err: unknown): string {
  if (err instanceof UpstreamStreamError || err instanceof UpstreamError) return `upstream stream failed: ${err.message}`;
  const code = (err as { code?: string }).code;
  return `upstream stream failed: ${code ?? (err as Error).message ?? 'unknown error'}`;
}

/** `a` and `b` without repeats; no allocation when either is empty. */
export function mergeDropped(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])];
}

/**
 * Runs `build`, turning a stack overflow into a 400: a body nested thousands deep is the
 * request's fault, and inside a conductor attempt it must end the run (a `GatewayError` does)
 * rather than count as an upstream failure that cools a credential.
 */
export function serialisable<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof RangeError) throw gatewayError('invalid_body', 'body: nested too deeply to process');
    throw err;
  }
}
