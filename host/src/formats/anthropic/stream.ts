/**
 * Anthropic Messages streaming: upstream SSE events -> IR events, and IR events -> client SSE.
 *
 * Wire shape: `message_start`, then per content block `content_block_start`, deltas
 * (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`) and
 * `content_block_stop`, then `message_delta` (stop reason, cumulative usage) and `message_stop`.
 * `ping` may come anywhere; `error` replaces the clean ending when the stream breaks.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { errorBody } from './errors.js';
import { type SseEvent, type StreamDecoder, type StreamEncoder, UpstreamStreamError, type WireEvent } from '../wire-format.js';
import type { IRStopReason, IRStreamEvent, IRUsage } from '../ir.js';
import { decodeStopReason, decodeUsage, encodeStopReason, encodeUsage, type WireUsage } from './response.js';

/** HTTP statuses of Anthropic error types, for {@link UpstreamStreamError}. */
const ERROR_STATUS = new Map<string, number>(Object.entries({
  invalid_request_error: 400, authentication_error: 401, permission_error: 403, not_found_error: 404,
  request_too_large: 413, rate_limit_error: 429, api_error: 500, timeout_error: 504, overloaded_error: 529,
}));

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null ? (value as Json) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Parses an event's data; empty data (some keep-alives) is an empty object. */
function parseData(event: SseEvent): Json {
  if (event.data.trim() === '') return {};
  try {
    return asObject(JSON.parse(event.data));
  } catch {
    if (event.event === 'error') throw new UpstreamStreamError(event.data);
    throw new UpstreamStreamError(`invalid JSON in Anthropic stream event: ${event.data.slice(0, 200)}`);
  }
}

/** What a content block index of the upstream stream carries; untracked blocks are ignored. */
type BlockKind = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; toolIndex: number };

class AnthropicStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private usageSent = false;
  private toolCount = 0;
  private readonly blocks = new Map<number, BlockKind>();
  /** Usage merged from `message_start` and `message_delta` (whose counters are cumulative). */
  private readonly usage: WireUsage = {};

  decode(event: SseEvent): IRStreamEvent[] {
    const data = parseData(event);
    const type = str(data.type) || event.event;
    if (event.event === 'error' || type === 'error') {
      const error = asObject(data.error);
      throw new UpstreamStreamError(str(error.message) || 'Anthropic stream error', ERROR_STATUS.get(str(error.type)));
    }
    const out: IRStreamEvent[] = [];
    switch (type) {
      case 'message_start': {
        const message = asObject(data.message);
        this.ensureStarted(out, str(message.id), str(message.model));
        this.mergeUsage(message.usage);
        break;
      }
      case 'content_block_start':
        this.ensureStarted(out);
        this.startBlock(Number(data.index), asObject(data.content_block), out);
        break;
      case 'content_block_delta':
        this.ensureStarted(out);
        this.delta(Number(data.index), asObject(data.delta), out);
        break;
      case 'message_delta': {
        this.ensureStarted(out);
        const delta = asObject(data.delta);
        if (typeof delta.stop_reason === 'string' && !this.finished) {
          this.finished = true;
          const finish: IRStreamEvent = { type: 'finish', stopReason: decodeStopReason(delta.stop_reason) };
          if (typeof delta.stop_sequence === 'string') finish.stopSequence = delta.stop_sequence;
          out.push(finish);
        }
        this.mergeUsage(data.usage);
        break;
      }
      case 'message_stop':
        // Usage is complete only now: message_delta may still revise the input counters.
        if (!this.usageSent) {
          this.usageSent = true;
          out.push({ type: 'usage', usage: decodeUsage(this.usage) });
        }
        break;
      // ping, content_block_stop and unknown future events carry nothing for the IR.
    }
    return out;
  }

  /** Emits `start` once, lazily if the upstream skipped `message_start`. */
  private ensureStarted(out: IRStreamEvent[], id = '', model = ''): void {
    if (this.started) return;
    this.started = true;
    out.push({ type: 'start', id, model });
  }

  private mergeUsage(value: unknown): void {
    for (const [key, count] of Object.entries(asObject(value))) {
      if (typeof count === 'number') (this.usage as Record<string, number>)[key] = count;
    }
  }

  private startBlock(index: number, block: Json, out: IRStreamEvent[]): void {
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' });
        if (str(block.text)) out.push({ type: 'text', text: str(block.text) });
        break;
      case 'thinking':
        this.blocks.set(index, { kind: 'thinking' });
        if (str(block.thinking) || str(block.signature)) {
          out.push({ type: 'thinking', text: str(block.thinking), ...(str(block.signature) && { signature: str(block.signature) }) });
        }
        break;
      case 'tool_use': {
        const toolIndex = this.toolCount++;
        this.blocks.set(index, { kind: 'tool', toolIndex });
        out.push({ type: 'tool_call_start', index: toolIndex, id: str(block.id), name: str(block.name) });
        // The API starts with `input: {}` and streams the JSON; a proxy may send it whole instead.
        const input = asObject(block.input);
        if (Object.keys(input).length > 0) out.push({ type: 'tool_call_delta', index: toolIndex, arguments: JSON.stringify(input) });
        break;
      }
      // redacted_thinking and server-tool blocks stay untracked: the IR has no place for them.
    }
  }

  private delta(index: number, delta: Json, out: IRStreamEvent[]): void {
    switch (delta.type) {
      case 'text_delta':
        if (str(delta.text)) out.push({ type: 'text', text: str(delta.text) });
        break;
      case 'thinking_delta':
        if (str(delta.thinking)) out.push({ type: 'thinking', text: str(delta.thinking) });
        break;
      case 'signature_delta':
        out.push({ type: 'thinking', text: '', signature: str(delta.signature) });
        break;
      case 'input_json_delta': {
        // Only client tool calls: server_tool_use blocks stream their input the same way.
        const block = this.blocks.get(index);
        if (block?.kind === 'tool' && str(delta.partial_json)) {
          out.push({ type: 'tool_call_delta', index: block.toolIndex, arguments: str(delta.partial_json) });
        }
        break;
      }
      // citations_delta: citations have no IR counterpart.
    }
  }
}

/** One `event:` + `data:` pair; Anthropic names every event after its `type`. */
function wire(data: { type: string } & Json): WireEvent {
  return { event: data.type, data };
}

/**
 * A text delta, most of a stream's events, made as its JSON text: one short string to escape
 * instead of an object built and serialised. The same members, in the same order, as the
 * object {@link wire} would take.
 */
function textDelta(index: number, text: string): WireEvent {
  return { event: 'content_block_delta', data: `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}` };
}

type OpenBlock = { kind: 'text' | 'thinking' | 'tool'; index: number; signed?: boolean };

class AnthropicStreamEncoder implements StreamEncoder {
  private started = false;
  private ended = false;
  private open: OpenBlock | undefined;
  private nextIndex = 0;
  /** Wire block index of each IR tool call index. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: { stopReason: IRStopReason; stopSequence?: string } | undefined;
  private usage: IRUsage | undefined;

  encode(event: IRStreamEvent): WireEvent[] {
    if (this.ended) return [];
    const out: WireEvent[] = [];
    if (event.type === 'start') {
      this.ensureStarted(out, event.id, event.model);
      return out;
    }
    this.ensureStarted(out);
    switch (event.type) {
      case 'text':
        if (!event.text) break;
        this.openBlock('text', out);
        out.push(textDelta(this.open!.index, event.text));
        break;
      case 'thinking':
        // A signature ends a thinking block: more reasoning after it is a new block.
        if (event.text && this.open?.kind === 'thinking' && this.open.signed) this.closeBlock(out);
        this.openBlock('thinking', out);
        if (event.text) {
          out.push(wire({ type: 'content_block_delta', index: this.open!.index, delta: { type: 'thinking_delta', thinking: event.text } }));
        }
        if (event.signature) {
          this.open!.signed = true;
          out.push(wire({ type: 'content_block_delta', index: this.open!.index, delta: { type: 'signature_delta', signature: event.signature } }));
        }
        break;
      case 'tool_call_start': {
        this.closeBlock(out);
        const index = this.nextIndex++;
        this.open = { kind: 'tool', index };
        this.toolBlocks.set(event.index, index);
        out.push(wire({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: event.id, name: event.name, input: {} } }));
        break;
      }
      case 'tool_call_delta': {
        // Addressed by block index, so deltas of an earlier call (upstreams that interleave
        // parallel calls) still reach the right block; a delta without a start is unusable.
        const index = this.toolBlocks.get(event.index);
        if (index === undefined || !event.arguments) break;
        out.push(wire({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: event.arguments } }));
        break;
      }
      case 'finish':
        this.closeBlock(out);
        this.finish = { stopReason: event.stopReason, stopSequence: event.stopSequence };
        break;
      case 'usage':
        this.usage = event.usage;
        break;
    }
    return out;
  }

  end(): WireEvent[] {
    if (this.ended) return [];
    const out: WireEvent[] = [];
    this.ensureStarted(out);
    this.closeBlock(out);
    this.ended = true;
    const finish = this.finish ?? { stopReason: 'end_turn' };
    out.push(
      wire({
        type: 'message_delta',
        delta: { stop_reason: encodeStopReason(finish.stopReason), stop_sequence: finish.stopSequence ?? null },
        // The IR reports usage at the end, so the final input counts travel here (the SDK
        // overwrites message_start's placeholders with non-null message_delta counters).
        usage: encodeUsage(this.usage ?? { inputTokens: 0, outputTokens: 0 }),
      }),
      wire({ type: 'message_stop' }),
    );
    return out;
  }

  fail(message: string): WireEvent[] {
    if (this.ended) return [];
    this.ended = true;
    const body = errorBody(502, 'upstream_failed', message) as { type: string } & Json;
    return [wire(body)];
  }

  /** Emits `message_start` once; lazily (generated id, no model) if `start` never came. */
  private ensureStarted(out: WireEvent[], id?: string, model = ''): void {
    if (this.started) return;
    this.started = true;
    id ??= `msg_${randomUUID().replaceAll('-', '')}`;
    out.push(
      wire({
        type: 'message_start',
        message: {
          id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
          // Placeholders: IR usage arrives at the end and travels in message_delta.
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    );
  }

  private openBlock(kind: 'text' | 'thinking', out: WireEvent[]): void {
    if (this.open?.kind === kind) return;
    this.closeBlock(out);
    const index = this.nextIndex++;
    this.open = { kind, index };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    out.push(wire({ type: 'content_block_start', index, content_block: block }));
  }

  private closeBlock(out: WireEvent[]): void {
    if (!this.open) return;
    out.push(wire({ type: 'content_block_stop', index: this.open.index }));
    this.open = undefined;
  }
}

/** A decoder for one upstream Anthropic stream. Throws {@link UpstreamStreamError} on `error`. */
export function createStreamDecoder(): StreamDecoder {
  return new AnthropicStreamDecoder();
}

/** An encoder for one client Anthropic stream. */
export function createStreamEncoder(): StreamEncoder {
  return new AnthropicStreamEncoder();
}

/**
 * See {@link WireFormat.mayCarryOutcome}: the stop reason and the last counts come in
 * `message_delta`, the usage is final at `message_stop`; errors are `error` events.
 */
export function mayCarryOutcome(event: SseEvent): boolean {
  const name = event.event;
  if (name === 'error' || name === 'message_delta' || name === 'message_stop') return true;
  const { data } = event;
  return data.includes('"error"') || data.includes('"message_delta"') || data.includes('"message_stop"');
}
