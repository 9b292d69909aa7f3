/**
 * OpenAI Responses streams: an upstream's typed events -> IR events, and IR events -> the
 * client's typed events exactly as OpenAI sends them (what the `openai` SDK's stream helper
 * requires): `response.created` then `response.in_progress`, each output item opened before
 * its deltas and closed with its `.done` events, `sequence_number` counting from 0, and one
 * terminal `response.completed` / `response.incomplete` holding the whole Response, or
 * `response.failed` when the stream breaks.
 *
 * @module
 */
import type { IRStopReason, IRStreamEvent, IRUsage } from '../ir.js';
import { UpstreamStreamError, type SseEvent, type StreamDecoder, type StreamEncoder, type WireEvent } from '../wire-format.js';
import { decodeStatus, decodeUsage, encodeStatus, encodeUsage, itemId, responseId, responseObject } from './response.js';
import type { OutputItem, ResponsesUsage } from './schema.js';

/** Events that end a stream or report its failure. */
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);
const TERMINAL_TYPE = /"type"\s*:\s*"(?:response\.(?:completed|incomplete|failed)|error)"/;

/** See `WireFormat.mayFinishOrFail`. */
export function mayFinishOrFail(event: SseEvent): boolean {
  return (event.event !== undefined && TERMINAL.has(event.event)) || TERMINAL_TYPE.test(event.data);
}

/** Creates a decoder for one upstream stream. */
export function createStreamDecoder(): StreamDecoder {
  let nextIndex = 0;
  const calls = new Map<string, number>();
  return {
    decode(event) {
      if (event.data.trim() === '[DONE]' || event.data.trim() === '') return [];
      let data: Record<string, any>;
      try {
        data = JSON.parse(event.data) as Record<string, any>;
      } catch {
        throw new UpstreamStreamError(`malformed upstream stream event: ${event.data.slice(0, 200)}`);
      }
      const out: IRStreamEvent[] = [];
      switch (data.type ?? event.event) {
        case 'response.created':
          out.push({ type: 'start', id: String(data.response?.id ?? ''), model: String(data.response?.model ?? '') });
          break;
        case 'response.output_text.delta':
        case 'response.refusal.delta':
          if (data.delta) out.push({ type: 'text', text: String(data.delta) });
          break;
        case 'response.reasoning_summary_text.delta':
        case 'response.reasoning_text.delta':
          if (data.delta) out.push({ type: 'thinking', text: String(data.delta) });
          break;
        case 'response.output_item.added': {
          const item = data.item as OutputItem | undefined;
          if (item?.type !== 'function_call') break;
          const index = nextIndex++;
          calls.set(String(item.id ?? item.call_id), index);
          out.push({ type: 'tool_call_start', index, id: item.call_id ?? item.id ?? '', name: item.name ?? '' });
          if (item.arguments) out.push({ type: 'tool_call_delta', index, arguments: item.arguments });
          break;
        }
        case 'response.function_call_arguments.delta': {
          const index = calls.get(String(data.item_id));
          if (index !== undefined && data.delta) out.push({ type: 'tool_call_delta', index, arguments: String(data.delta) });
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
          throw new UpstreamStreamError(String(data.response?.error?.message ?? 'upstream response failed'));
        case 'error':
          throw new UpstreamStreamError(String(data.message ?? data.error?.message ?? 'upstream stream error'));
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
  text: string;
  /** Function calls: the IR's index, its call id and name. */
  call?: { irIndex: number; callId: string; name: string };
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
  let open: OpenItem | undefined;
  const done: Record<string, unknown>[] = [];
  const calls = new Map<number, OpenItem>();

  const ev = (type: string, fields: Record<string, unknown>): WireEvent => ({ event: type, data: { type, sequence_number: seq++, ...fields } });
  const snapshot = (status: string, extra: Record<string, unknown> = {}) => responseObject(id, model, createdAt, { status, output: [...done], usage: null, ...extra });

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
        return { id: item.id, type: 'reasoning', summary: [{ type: 'summary_text', text: item.text }] };
      case 'function_call':
        return { id: item.id, type: 'function_call', status: 'completed', call_id: item.call!.callId, name: item.call!.name, arguments: item.text };
    }
  }

  function close(): WireEvent[] {
    const item = open;
    if (!item) return [];
    open = undefined;
    const at = { item_id: item.id, output_index: item.index };
    const out: WireEvent[] = [];
    if (item.kind === 'message') {
      out.push(ev('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] }));
      out.push(ev('response.content_part.done', { ...at, content_index: 0, part: { type: 'output_text', text: item.text, annotations: [], logprobs: [] } }));
    } else if (item.kind === 'reasoning') {
      out.push(ev('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: item.text }));
      out.push(ev('response.reasoning_summary_part.done', { ...at, summary_index: 0, part: { type: 'summary_text', text: item.text } }));
    } else {
      out.push(ev('response.function_call_arguments.done', { ...at, name: item.call!.name, arguments: item.text }));
    }
    const finished = itemOf(item);
    done.push(finished);
    out.push(ev('response.output_item.done', { output_index: item.index, item: finished }));
    return out;
  }

  /** Opens an item of `kind` unless one is open already; returns the events that did it. */
  function ensure(kind: 'message' | 'reasoning'): WireEvent[] {
    if (open?.kind === kind) return [];
    const out = close();
    const item: OpenItem = { index: done.length, id: itemId(kind === 'message' ? 'msg' : 'rs'), kind, text: '' };
    open = item;
    const at = { item_id: item.id, output_index: item.index };
    if (kind === 'message') {
      out.push(ev('response.output_item.added', { output_index: item.index, item: { id: item.id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } }));
      out.push(ev('response.content_part.added', { ...at, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }));
    } else {
      out.push(ev('response.output_item.added', { output_index: item.index, item: { id: item.id, type: 'reasoning', summary: [] } }));
      out.push(ev('response.reasoning_summary_part.added', { ...at, summary_index: 0, part: { type: 'summary_text', text: '' } }));
    }
    return out;
  }

  return {
    encode(event) {
      if (event.type === 'start') return start(event);
      const out = start();
      switch (event.type) {
        case 'text':
          out.push(...ensure('message'));
          open!.text += event.text;
          out.push(ev('response.output_text.delta', { item_id: open!.id, output_index: open!.index, content_index: 0, delta: event.text, logprobs: [] }));
          break;
        case 'thinking':
          out.push(...ensure('reasoning'));
          open!.text += event.text;
          out.push(ev('response.reasoning_summary_text.delta', { item_id: open!.id, output_index: open!.index, summary_index: 0, delta: event.text }));
          break;
        case 'tool_call_start': {
          out.push(...close());
          const item: OpenItem = { index: done.length, id: itemId('fc'), kind: 'function_call', text: '', call: { irIndex: event.index, callId: event.id, name: event.name } };
          open = item;
          calls.set(event.index, item);
          out.push(ev('response.output_item.added', { output_index: item.index, item: { id: item.id, type: 'function_call', status: 'in_progress', call_id: event.id, name: event.name, arguments: '' } }));
          break;
        }
        case 'tool_call_delta': {
          const item = calls.get(event.index);
          // Deltas of a call already closed (interleaved parallel calls) cannot be sent any more.
          if (!item || item !== open) break;
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
      const out = [...start(), ...close()];
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
