/**
 * Gemini `streamGenerateContent?alt=sse` streams <-> IR stream events.
 *
 * Each SSE `data:` is a whole `GenerateContentResponse` holding the new parts of the first
 * candidate; the last chunk carries `finishReason` and the final (cumulative) `usageMetadata`.
 * Function calls arrive whole, never as argument deltas.
 *
 * @module
 */
import type { SseEvent, StreamDecoder, StreamEncoder, WireEvent } from '../wire-format.js';
import { UpstreamStreamError } from '../wire-format.js';
import type { IRStopReason, IRStreamEvent, IRUsage } from '../ir.js';
import { errorBody } from './errors.js';
import {
  decodeFinishReason, decodeUsage, encodeFinishReason, encodePart, encodeUsage, newResponseId, PartDecoder,
  withThoughtSignature,
} from './mapping.js';
import { parseUpstream } from './response.js';

type WireObject = Record<string, unknown>;

/** The error an upstream reported inside the stream: `{"error":{"code","message","status"}}`. */
function streamError(error: unknown): UpstreamStreamError {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  return new UpstreamStreamError(
    typeof message === 'string' ? message : JSON.stringify(error),
    typeof code === 'number' ? code : undefined,
  );
}

class GeminiStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private usageSent = false;
  private usage: IRUsage | undefined;
  private toolCalls = 0;
  private readonly parts = new PartDecoder();

  decode(event: SseEvent): IRStreamEvent[] {
    const text = event.data.trim();
    if (!text) return [];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UpstreamStreamError(`unreadable Gemini stream chunk: ${text.slice(0, 200)}`);
    }
    if (typeof json === 'object' && json !== null && 'error' in json) throw streamError(json.error);
    const chunk = parseUpstream(json, (message) => new UpstreamStreamError(message));

    const out: IRStreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({ type: 'start', id: chunk.responseId ?? newResponseId(), model: chunk.modelVersion ?? '' });
    }
    const candidate = chunk.candidates?.[0];
    for (const part of this.parts.decode(candidate?.content?.parts ?? [], 'candidates[].content.parts[]')) {
      if (part.type === 'text') out.push({ type: 'text', text: part.text });
      else if (part.type === 'thinking') out.push(part.signature === undefined ? { type: 'thinking', text: part.text } : { ...part });
      else if (part.type === 'tool_call') {
        const index = this.toolCalls++;
        out.push({ type: 'tool_call_start', index, id: part.id, name: part.name }, { type: 'tool_call_delta', index, arguments: part.arguments });
      }
      // Images (image-generation models) have no stream event in the IR.
    }
    if (chunk.usageMetadata) this.usage = decodeUsage(chunk.usageMetadata);

    const blocked = candidate === undefined && chunk.promptFeedback?.blockReason !== undefined;
    if (!this.finished && (candidate?.finishReason !== undefined || blocked)) {
      this.finished = true;
      const stopReason: IRStopReason = blocked ? 'content_filter' : decodeFinishReason(candidate!.finishReason, this.toolCalls > 0);
      out.push({ type: 'finish', stopReason });
    }
    // Every chunk may carry usage; only the one with (or after) the finish reason is final.
    if (this.finished && this.usage && !this.usageSent) {
      this.usageSent = true;
      out.push({ type: 'usage', usage: this.usage });
    }
    return out;
  }
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/**
 * Tool calls are buffered (Gemini sends a functionCall whole) and emitted, in index order, with
 * the next text or thinking, or in the final chunk. An empty signed thinking event (a signature
 * for the part after it, see PartDecoder) is held and put on that next part.
 */
class GeminiStreamEncoder implements StreamEncoder {
  private id: string | undefined;
  private model: string | undefined;
  private readonly calls = new Map<number, PendingCall>();
  private signature: string | undefined;
  private stopReason: IRStopReason | undefined;
  private usage: IRUsage | undefined;

  encode(event: IRStreamEvent): WireEvent[] {
    switch (event.type) {
      case 'start':
        this.id ??= event.id;
        this.model ??= event.model;
        return [];
      case 'text':
        return this.chunk([...this.flushCalls(), this.sign({ text: event.text })]);
      case 'thinking': {
        const parts = [...this.flushCalls(), ...this.flushSignature()];
        if (event.text === '' && event.signature !== undefined) {
          this.signature = event.signature;
          return parts.length ? this.chunk(parts) : [];
        }
        return this.chunk([...parts, encodePart({ type: 'thinking', text: event.text, signature: event.signature })]);
      }
      case 'tool_call_start':
        this.calls.set(event.index, { id: event.id, name: event.name, args: '' });
        return [];
      case 'tool_call_delta': {
        // A delta without a start (should not happen) still yields a call rather than vanishing.
        const call = this.calls.get(event.index) ?? { id: `call_${event.index}`, name: '', args: '' };
        call.args += event.arguments;
        this.calls.set(event.index, call);
        return [];
      }
      case 'finish':
        this.stopReason = event.stopReason;
        return [];
      case 'usage':
        this.usage = event.usage;
        return [];
    }
  }

  /** The final chunk: buffered parts, finishReason (end_turn if none came) and usage. */
  end(): WireEvent[] {
    const parts = [...this.flushCalls(), ...this.flushSignature()];
    const candidate = {
      ...(parts.length > 0 && { content: { role: 'model', parts } }),
      finishReason: encodeFinishReason(this.stopReason ?? 'end_turn'),
      index: 0,
    };
    return [{ data: this.wrap(candidate, this.usage && { usageMetadata: encodeUsage(this.usage) }) }];
  }

  /**
   * The Gemini error body as an SSE data event. Note: the `@google/genai` SDK only raises on an
   * error it receives as a bare JSON network chunk; a `data:`-framed error ends its stream silently.
   */
  fail(message: string): WireEvent[] {
    const body = errorBody(502, 'upstream_failed', message);
    // The `data:` event is for SSE parsers; the bare JSON after it, left without a delimiter,
    // makes @google/genai raise: as a read of its own it is an ApiError, merged into a read with
    // the event before it, it is an incomplete segment at the end of the stream.
    return [{ data: body }, { data: JSON.stringify(body), raw: true }];
  }

  private sign(part: WireObject): WireObject {
    const signed = withThoughtSignature(part, this.signature);
    this.signature = undefined;
    return signed;
  }

  private flushCalls(): WireObject[] {
    const calls = [...this.calls.entries()].sort(([a], [b]) => a - b);
    this.calls.clear();
    return calls.map(([, c]) => this.sign(encodePart({ type: 'tool_call', id: c.id, name: c.name, arguments: c.args })));
  }

  /** A held signature with no part left to carry it goes out as Gemini's own empty signed part. */
  private flushSignature(): WireObject[] {
    if (this.signature === undefined) return [];
    return [this.sign({ text: '' })];
  }

  private chunk(parts: WireObject[]): WireEvent[] {
    return [{ data: this.wrap({ content: { role: 'model', parts }, index: 0 }) }];
  }

  private wrap(candidate: WireObject, extra?: WireObject): WireObject {
    this.id ??= newResponseId();
    return { candidates: [candidate], ...extra, modelVersion: this.model ?? '', responseId: this.id };
  }
}

/** A decoder for one upstream Gemini SSE stream. */
export function createStreamDecoder(): StreamDecoder {
  return new GeminiStreamDecoder();
}

/** An encoder for one Gemini client stream. */
export function createStreamEncoder(): StreamEncoder {
  return new GeminiStreamEncoder();
}

/** See {@link WireFormat.mayCarryOutcome}: a `finishReason`, a blocked prompt or an error, as JSON keys. */
export function mayCarryOutcome(event: SseEvent): boolean {
  const { data } = event;
  return data.includes('"finishReason"') || data.includes('"blockReason"') || data.includes('"error"');
}
