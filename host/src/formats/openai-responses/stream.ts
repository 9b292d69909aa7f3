/**
 * OpenAI Responses streams: an upstream's typed events -> IR events, and IR events -> the
 * client's typed events exactly as OpenAI sends them (what the `openai` SDK's stream helper
 * requires): `response.created` then `response.in_progress`, each output item opened with
 * `response.output_item.added` (and its content or summary part) before its deltas and closed
 * with its `.done` events, `sequence_number` counting from 0, and one terminal
 * `response.completed` / `response.incomplete` holding the whole Response with its usage, sent
 * from `end()`, or `response.failed` when the stream breaks. No event has a top-level `error`
 * field: the SDK throws on one.
 *
 * @module
 */
import type { IRStopReason, IRStreamEvent, IRUsage } from '../ir.js';
import { UpstreamStreamError, type SseEvent, type StreamDecoder, type StreamEncoder, type WireEvent } from '../wire-format.js';
import { decodeStatus, decodeUsage, encodeStatus, encodeUsage, itemId, reasoningItem, reasoningPart, responseId, responseObject } from './response.js';
import type { OutputItem, ResponsesUsage } from './schema.js';

/** Events that end a stream or report its failure. */
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);
const TERMINAL_TYPE = /"type"\s*:\s*"(?:response\.(?:completed|incomplete|failed)|error)"/;

/** See `WireFormat.mayCarryOutcome`. */
export function mayCarryOutcome(event: SseEvent): boolean {
  return (event.event !== undefined && TERMINAL.has(event.event)) || TERMINAL_TYPE.test(event.data);
}

/** HTTP statuses of the error codes a Responses stream reports, for {@link UpstreamStreamError}. */
const ERROR_STATUS = new Map<string, number>(Object.entries({
  rate_limit_exceeded: 429, insufficient_quota: 429, server_error: 500, overloaded: 503, server_is_overloaded: 503,
  invalid_prompt: 400, context_length_exceeded: 400, invalid_request_error: 400,
}));

function streamError(error: { message?: unknown; code?: unknown } | undefined, fallback: string): UpstreamStreamError {
  const message = typeof error?.message === 'string' && error.message ? error.message : fallback;
  const code = error?.code;
  const status = typeof code === 'number' && code >= 100 && code < 600 ? code : ERROR_STATUS.get(String(code));
  return new UpstreamStreamError(message, status);
}

/** The text of a message item's parts. */
function messageText(item: OutputItem): string {
  return (item.content ?? []).map((part) => (part.type === 'refusal' ? part.refusal : part.text) ?? '').join('');
}

/**
 * Creates a decoder for one upstream stream. Deltas carry the text, reasoning summaries and
 * call arguments; a `.done` item adds what no delta carried (a reasoning item's encrypted
 * content, or the whole item from an upstream that sends no deltas).
 */
export function createStreamDecoder(): StreamDecoder {
  let nextIndex = 0;
  /** Function calls by item id: the IR index, and whether arguments were streamed. */
  const calls = new Map<string, { index: number; streamed: boolean }>();
  /** Function calls by output index, for deltas without an item id. */
  const callsAt = new Map<number, { index: number; streamed: boolean }>();
  /** Items whose text or reasoning came as deltas; `''` stands for deltas that named no item. */
  const streamed = new Set<string>();
  /** Whether `item` came as deltas, so its `.done` adds nothing (unsure: yes). */
  const wasStreamed = (id: string) => streamed.has(id) || streamed.has('');
  return {
    decode(event) {
      if (event.data.trim() === '[DONE]' || event.data.trim() === '') return [];
      let data: Record<string, any>;
      try {
        data = JSON.parse(event.data) as Record<string, any>;
      } catch {
        if (event.event === 'error') throw new UpstreamStreamError(event.data);
        throw new UpstreamStreamError(`malformed upstream stream event: ${event.data.slice(0, 200)}`);
      }
      const out: IRStreamEvent[] = [];
      const itemKey = String(data.item_id ?? '');
      switch (data.type ?? event.event) {
        case 'response.created':
          out.push({ type: 'start', id: String(data.response?.id ?? ''), model: String(data.response?.model ?? '') });
          break;
        case 'response.output_text.delta':
        case 'response.refusal.delta':
          streamed.add(itemKey);
          if (data.delta) out.push({ type: 'text', text: String(data.delta) });
          break;
        case 'response.reasoning_summary_part.added':
          // Summaries read as one text, parts a blank line apart (as a non-stream answer reads).
          if (Number(data.summary_index) > 0) out.push({ type: 'thinking', text: '\n\n' });
          break;
        case 'response.reasoning_summary_text.delta':
        case 'response.reasoning_text.delta':
          streamed.add(itemKey);
          if (data.delta) out.push({ type: 'thinking', text: String(data.delta) });
          break;
        case 'response.output_item.added': {
          const item = data.item as OutputItem | undefined;
          if (item?.type !== 'function_call') break;
          const index = nextIndex++;
          const call = { index, streamed: Boolean(item.arguments) };
          calls.set(String(item.id ?? item.call_id), call);
          if (typeof data.output_index === 'number') callsAt.set(data.output_index, call);
          out.push({ type: 'tool_call_start', index, id: item.call_id ?? item.id ?? '', name: item.name ?? '' });
          if (item.arguments) out.push({ type: 'tool_call_delta', index, arguments: item.arguments });
          break;
        }
        case 'response.function_call_arguments.delta': {
          const call = calls.get(itemKey) ?? callsAt.get(data.output_index);
          if (!call || !data.delta) break;
          call.streamed = true;
          out.push({ type: 'tool_call_delta', index: call.index, arguments: String(data.delta) });
          break;
        }
        case 'response.output_item.done': {
          const item = data.item as OutputItem | undefined;
          const id = String(item?.id ?? '');
          if (item?.type === 'reasoning') {
            const part = reasoningPart(item);
            // Its text came as deltas; the encrypted content comes only here.
            const text = wasStreamed(id) ? '' : part.text;
            if (text || part.signature) out.push({ type: 'thinking', text, ...(part.signature && { signature: part.signature }) });
          } else if (item?.type === 'message' && !wasStreamed(id)) {
            const text = messageText(item);
            if (text) out.push({ type: 'text', text });
          } else if (item?.type === 'function_call') {
            let call = calls.get(String(item.id ?? item.call_id)) ?? callsAt.get(data.output_index);
            if (!call) {
              call = { index: nextIndex++, streamed: false };
              out.push({ type: 'tool_call_start', index: call.index, id: item.call_id ?? item.id ?? '', name: item.name ?? '' });
            }
            if (!call.streamed && item.arguments) out.push({ type: 'tool_call_delta', index: call.index, arguments: item.arguments });
            call.streamed = true;
          }
          break;
        }
        case 'response.completed':
        case 'response.incomplete': {
          const response = data.response ?? {};
          out.push({ type: 'finish', stopReason: decodeStatus({ status: response.status, incomplete_details: response.incomplete_details, output: response.output ?? [] }) });
          out.push({ type: 'usage', usage: decodeUsage(response.usage as ResponsesUsage | undefined) });
          break;
        }
        case 'response.failed':
          throw streamError(data.response?.error, 'upstream response failed');
        case 'error':
          throw streamError(data.error && typeof data.error === 'object' ? data.error : data, 'upstream stream error');
      }
      return out;
    },
  };
}

/** An output item being streamed. */
interface OpenItem {
  index: number;
  id: string;
  kind: 'message' | 'reasoning' | 'function_call';
  /** The text, reasoning summary or arguments so far. */
  text: string;
  /** Reasoning: whether its summary part was opened, and its signature (`encrypted_content`). */
  summaryOpen?: boolean;
  signature?: string;
  /** Function calls: the IR's index, the call id and name. */
  call?: { irIndex: number; callId: string; name: string };
  /** Messages: the members of each text delta between its sequence number and its text. */
  deltaAt?: string;
}

/** Creates an encoder for one client stream. */
export function createStreamEncoder(): StreamEncoder {
  let seq = 0;
  let id = '';
  let model = '';
  let createdAt = 0;
  let started = false;
  let stopReason: IRStopReason = 'end_turn';
  let usage: IRUsage | undefined;
  /** The open message or reasoning item; several function calls may be open beside it. */
  let current: OpenItem | undefined;
  const openCalls = new Map<number, OpenItem>();
  /** Finished output items by output index. */
  const output: Record<string, unknown>[] = [];
  let nextIndex = 0;

  const ev = (type: string, fields: Record<string, unknown>): WireEvent => ({ event: type, data: { type, sequence_number: seq++, ...fields } });
  /**
   * A text delta, most of a stream's events, made as its JSON text: one short string to escape
   * instead of an object built and serialised (~0.15 against ~0.6 µs an event). The same
   * members, in the same order, as {@link ev} would write.
   */
  const textDelta = (item: OpenItem, delta: string): WireEvent => {
    item.deltaAt ??= `,"item_id":${JSON.stringify(item.id)},"output_index":${item.index},"content_index":0,"delta":`;
    return { event: 'response.output_text.delta', data: `{"type":"response.output_text.delta","sequence_number":${seq++}${item.deltaAt}${JSON.stringify(delta)},"logprobs":[]}` };
  };
  const snapshot = (status: string, extra: Record<string, unknown> = {}) =>
    responseObject(id, model, createdAt, { status, output: output.filter(Boolean), usage: null, ...extra });

  function start(from?: { id: string; model: string }): WireEvent[] {
    if (started) return [];
    started = true;
    id = responseId(from?.id);
    model = from?.model ?? '';
    createdAt = Math.floor(Date.now() / 1000);
    return [ev('response.created', { response: snapshot('in_progress') }), ev('response.in_progress', { response: snapshot('in_progress') })];
  }

  function itemOf(item: OpenItem): Record<string, unknown> {
    switch (item.kind) {
      case 'message':
        return { id: item.id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: item.text, annotations: [], logprobs: [] }] };
      case 'reasoning':
        return reasoningItem(item.id, item.text, item.signature);
      case 'function_call':
        return { id: item.id, type: 'function_call', status: 'completed', call_id: item.call!.callId, name: item.call!.name, arguments: item.text };
    }
  }

  function close(item: OpenItem): WireEvent[] {
    const at = { item_id: item.id, output_index: item.index };
    const out: WireEvent[] = [];
    if (item.kind === 'message') {
      out.push(ev('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] }));
      out.push(ev('response.content_part.done', { ...at, content_index: 0, part: { type: 'output_text', text: item.text, annotations: [], logprobs: [] } }));
    } else if (item.kind === 'reasoning') {
      if (item.summaryOpen) {
        out.push(ev('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: item.text }));
        out.push(ev('response.reasoning_summary_part.done', { ...at, summary_index: 0, part: { type: 'summary_text', text: item.text } }));
      }
    } else {
      out.push(ev('response.function_call_arguments.done', { ...at, name: item.call!.name, arguments: item.text }));
      openCalls.delete(item.call!.irIndex);
    }
    const finished = itemOf(item);
    output[item.index] = finished;
    out.push(ev('response.output_item.done', { output_index: item.index, item: finished }));
    return out;
  }

  /** Closes every open item, in output order. */
  function closeAll(): WireEvent[] {
    const open = [...(current ? [current] : []), ...openCalls.values()].sort((a, b) => a.index - b.index);
    current = undefined;
    return open.flatMap(close);
  }

  /** Closes the open message or reasoning item, leaving function calls open. */
  function closeCurrent(): WireEvent[] {
    const item = current;
    current = undefined;
    return item ? close(item) : [];
  }

  function open(kind: OpenItem['kind'], prefix: string, call?: OpenItem['call']): OpenItem {
    return { index: nextIndex++, id: itemId(prefix), kind, text: '', ...(call && { call }) };
  }

  return {
    encode(event) {
      if (event.type === 'start') return start(event);
      const out = start();
      switch (event.type) {
        case 'text': {
          if (current?.kind !== 'message') {
            out.push(...closeAll());
            current = open('message', 'msg');
            const at = { item_id: current.id, output_index: current.index };
            out.push(ev('response.output_item.added', { output_index: current.index, item: { id: current.id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } }));
            out.push(ev('response.content_part.added', { ...at, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }));
          }
          current.text += event.text;
          out.push(textDelta(current, event.text));
          break;
        }
        case 'thinking': {
          // A signature ends a reasoning item: reasoning after it is a new item.
          if (current?.kind !== 'reasoning' || current.signature !== undefined) {
            out.push(...closeAll());
            current = open('reasoning', 'rs');
            out.push(ev('response.output_item.added', { output_index: current.index, item: { id: current.id, type: 'reasoning', summary: [] } }));
          }
          const item = current;
          const at = { item_id: item.id, output_index: item.index };
          if (event.text) {
            if (!item.summaryOpen) {
              item.summaryOpen = true;
              out.push(ev('response.reasoning_summary_part.added', { ...at, summary_index: 0, part: { type: 'summary_text', text: '' } }));
            }
            item.text += event.text;
            out.push(ev('response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta: event.text }));
          }
          if (event.signature !== undefined) item.signature = event.signature;
          break;
        }
        case 'tool_call_start': {
          out.push(...closeCurrent());
          const item = open('function_call', 'fc', { irIndex: event.index, callId: event.id, name: event.name });
          openCalls.set(event.index, item);
          out.push(ev('response.output_item.added', { output_index: item.index, item: { id: item.id, type: 'function_call', status: 'in_progress', call_id: event.id, name: event.name, arguments: '' } }));
          break;
        }
        case 'tool_call_delta': {
          // Parallel calls stay open until other output follows, so their deltas may interleave.
          const item = openCalls.get(event.index);
          if (!item) break;
          item.text += event.arguments;
          out.push(ev('response.function_call_arguments.delta', { item_id: item.id, output_index: item.index, delta: event.arguments }));
          break;
        }
        case 'finish':
          stopReason = event.stopReason;
          break;
        case 'usage':
          usage = event.usage;
          break;
      }
      return out;
    },
    end() {
      const out = [...start(), ...closeAll()];
      const { status, incomplete_details } = encodeStatus(stopReason);
      const response = snapshot(status, { incomplete_details, usage: usage ? encodeUsage(usage) : null });
      out.push(ev(status === 'completed' ? 'response.completed' : 'response.incomplete', { response }));
      return out;
    },
    fail(message) {
      const out = start();
      // No top-level `error` field: the SDK throws on one, and the failed Response says it all.
      out.push(ev('response.failed', { response: snapshot('failed', { error: { code: 'server_error', message } }) }));
      return out;
    },
  };
}
