/**
 * OpenAI Chat Completions streams: upstream `chat.completion.chunk` events -> IR events, and IR
 * events -> client chunks ending with a usage-only chunk and `data: [DONE]`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { errorBody } from './errors.js';
import { UpstreamStreamError, type SseEvent, type StreamDecoder, type StreamEncoder, type WireEvent } from '../wire-format.js';
import type { IRStreamEvent, IRUsage } from '../ir.js';
import { fieldPath } from '../validate.js';
import { decodeStopReason, decodeUsage, encodeStopReason, encodeUsage } from './response.js';
import { chunkSchema, isTextChunk, type OpenAIChunk } from './schema.js';

/** Throws the upstream's mid-stream error (`data: {"error":{...}}`), if the event is one. */
function throwIfError(event: SseEvent, json: unknown): void {
  const error = (json as { error?: unknown } | null)?.error;
  if (!error && event.event !== 'error') return;
  const { message, code } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' ? message : typeof error === 'string' ? error : JSON.stringify(json);
  // OpenAI's `code` is a string like "server_error"; proxies (OpenRouter ...) put the HTTP status there.
  const status = typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
  throw new UpstreamStreamError(text, status);
}

function parseChunk(event: SseEvent): OpenAIChunk {
  let json: unknown;
  try {
    json = JSON.parse(event.data);
  } catch {
    // Some proxies send `event: error` with a plain-text message.
    if (event.event === 'error') throw new UpstreamStreamError(event.data);
    throw new UpstreamStreamError(`malformed upstream stream event: ${event.data.slice(0, 200)}`);
  }
  throwIfError(event, json);
  if (isTextChunk(json)) return json;
  const result = chunkSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new UpstreamStreamError(`malformed upstream stream chunk: ${fieldPath(issue.path)}: ${issue.message}`);
}

/**
 * Creates a decoder for one upstream stream. Tool calls are keyed by the wire `index`, and a new
 * `id` at a known index starts a new call, because some OpenAI-compatible upstreams reuse index 0.
 * Usage is emitted once: from the usage-only chunk, from a chunk after the finish, or at `[DONE]`
 * (upstreams that report running usage on every chunk keep only the latest).
 */
export function createStreamDecoder(): StreamDecoder {
  let started = false;
  let finished = false;
  let usageSent = false;
  let usage: IRUsage | undefined;
  let nextIndex = 0;
  const calls = new Map<number, { index: number; id: string }>();

  function flushUsage(out: IRStreamEvent[]): void {
    if (!usage || usageSent) return;
    usageSent = true;
    out.push({ type: 'usage', usage });
  }

  return {
    decode(event) {
      const out: IRStreamEvent[] = [];
      const data = event.data.trim();
      if (data === '[DONE]') flushUsage(out);
      if (data === '' || data === '[DONE]') return out;
      const chunk = parseChunk(event);
      const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
      // Azure opens with a choices-less `prompt_filter_results` chunk: nothing to report yet.
      if (!choice && !chunk.usage) return out;
      if (!started) {
        started = true;
        out.push({ type: 'start', id: chunk.id ?? '', model: chunk.model ?? '' });
      }
      if (chunk.usage) usage = decodeUsage(chunk.usage);
      const delta = choice?.delta;
      const reasoning = delta?.reasoning_content ?? delta?.reasoning;
      if (reasoning) out.push({ type: 'thinking', text: reasoning });
      if (delta?.content) out.push({ type: 'text', text: delta.content });
      if (delta?.refusal) out.push({ type: 'text', text: delta.refusal });
      (delta?.tool_calls ?? []).forEach((call, position) => {
        const wireIndex = call.index ?? position;
        let known = calls.get(wireIndex);
        if (!known || (call.id && call.id !== known.id)) {
          const index = nextIndex++;
          known = { index, id: call.id ?? `call_${index}` };
          calls.set(wireIndex, known);
          out.push({ type: 'tool_call_start', index, id: known.id, name: call.function?.name ?? '' });
        }
        const args = call.function?.arguments;
        if (args) out.push({ type: 'tool_call_delta', index: known.index, arguments: args });
      });
      if (choice?.finish_reason && !finished) {
        finished = true;
        out.push({ type: 'finish', stopReason: decodeStopReason(choice.finish_reason) });
      }
      if (!choice || finished) flushUsage(out);
      return out;
    },
  };
}

/**
 * Creates an encoder for one client stream, producing what the `openai` SDK's stream helpers
 * accumulate: a first chunk with the role, deltas, a chunk with `finish_reason`, then from
 * `end()` the usage-only chunk (`choices: []`, as `stream_options.include_usage` gives) and `[DONE]`.
 */
export function createStreamEncoder(): StreamEncoder {
  let started = false;
  let finished = false;
  let usage: IRUsage | undefined;
  let id = '';
  let model = '';
  let created = 0;

  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): WireEvent => ({
    data: { id, object: 'chat.completion.chunk', created, model, choices, ...extra },
  });
  const delta = (d: Record<string, unknown>, finishReason: string | null = null): WireEvent =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }]);
  /** What a text delta's JSON text has before its text, made once the stream's id is known. */
  let textHead = '';
  /**
   * A text delta, most of a stream's chunks, made as its JSON text: one short string to escape
   * instead of an object built and serialised. The same members, in the same order, as
   * {@link delta} would write.
   */
  const textDelta = (text: string): WireEvent => {
    textHead ||= `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"content":`;
    return { data: `${textHead}${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]}` };
  };

  /** Emits the opening chunk once, from `start` or lazily from whatever event comes first. */
  function open(start?: { id: string; model: string }): WireEvent[] {
    if (started) return [];
    started = true;
    id = start?.id ?? `chatcmpl-${randomUUID()}`;
    model = start?.model ?? '';
    created = Math.floor(Date.now() / 1000);
    return [delta({ role: 'assistant', content: '' })];
  }

  return {
    encode(event) {
      if (event.type === 'start') return open(event);
      const out = open();
      switch (event.type) {
        case 'text':
          out.push(textDelta(event.text));
          break;
        case 'thinking':
          out.push(delta({ reasoning_content: event.text }));
          break;
        case 'tool_call_start':
          // The SDK's accumulator requires id, type, name and a string `arguments` on first sight.
          out.push(delta({ tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] }));
          break;
        case 'tool_call_delta':
          out.push(delta({ tool_calls: [{ index: event.index, function: { arguments: event.arguments } }] }));
          break;
        case 'finish':
          if (!finished) out.push(delta({}, encodeStopReason(event.stopReason)));
          finished = true;
          break;
        case 'usage':
          usage = event.usage;
          break;
      }
      return out;
    },
    end() {
      const out = open();
      // The SDK rejects a stream whose choice never got a finish_reason.
      if (!finished) out.push(delta({}, 'stop'));
      finished = true;
      if (usage) out.push(chunk([], { usage: encodeUsage(usage) }));
      out.push({ data: '[DONE]' });
      return out;
    },
    fail(message) {
      // The SDK throws an APIError on a chunk carrying `error`, with the same body as non-stream errors.
      return [{ data: errorBody(502, 'upstream_failed', message) }];
    },
  };
}

/** A `finish_reason` with a value (deltas carry `"finish_reason":null`), whatever the spacing. */
const FINISH_REASON = /"finish_reason"\s*:\s*"/;

/** A usage object (deltas may carry `"usage":null`). */
const USAGE = /"usage"\s*:\s*\{/;

/** See {@link WireFormat.mayCarryOutcome}: a finish reason, an error or usage, as JSON keys (quotes in strings are escaped). */
export function mayCarryOutcome(event: SseEvent): boolean {
  return event.event === 'error' || event.data.includes('"error"') || FINISH_REASON.test(event.data) || USAGE.test(event.data);
}
