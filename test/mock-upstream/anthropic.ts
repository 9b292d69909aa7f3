/**
 * Anthropic Messages as the mock speaks it: `POST /messages` (JSON or named SSE events),
 * `POST /messages/count_tokens` and `GET /models`, under the prefix `/anthropic/v1`. Like the
 * real API it refuses requests without an `anthropic-version` header.
 *
 * @module
 */

import { answer, arr, displayName, halves, inputTokens, textOf, wordChunks, type Conversation, type Outcome } from './common.js';
import { sseEvent, sseHeaders } from './sse.js';
import type { Call, FormatSpec, Reply, Route } from './types.js';

const TOOL_USE_ID = 'toolu_mock_1';
/** Fixed creation date so listings are deterministic. */
const MODEL_CREATED_AT = '2025-09-29T00:00:00Z';

/** The real API's `error.type` for a status. */
function errorType(status: number): string {
  const types: Record<number, string> = {
    401: 'authentication_error',
    402: 'billing_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    504: 'timeout_error',
    529: 'overloaded_error',
  };
  return types[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** An error in the API's shape, with the request id it puts in the body and a header. */
export function error(status: number, message: string, seq: number): Reply {
  const body = { type: 'error', error: { type: errorType(status), message }, request_id: `req_mock_${seq}` };
  return { kind: 'json', status, body, headers: { 'request-id': `req_mock_${seq}` } };
}

function conversation(body: any): Conversation {
  const messages = arr(body.messages);
  const blocks = (m: any) => (typeof m?.content === 'string' ? [{ type: 'text', text: m.content }] : arr(m?.content));
  const resultText = (b: any) => textOf(b.content);
  const last = messages.at(-1);
  const results = last?.role === 'user' ? blocks(last).filter((b) => b?.type === 'tool_result') : [];
  const firstTool = arr(body.tools)[0]?.name;
  return {
    system: typeof body.system === 'string' ? body.system : arr(body.system).map((b) => textOf([b])).join('\n\n'),
    texts: messages.flatMap((m) => [textOf(blocks(m)), ...blocks(m).filter((b) => b?.type === 'tool_result').map(resultText)]),
    lastUser: textOf(blocks(messages.findLast((m) => m?.role === 'user'))),
    toolResult: results.length > 0 ? results.map(resultText).join('\n') : undefined,
    firstTool: typeof firstTool === 'string' ? firstTool : undefined,
  };
}

/** The usage object of a message; cache fields are zero because the mock never caches. */
function usage(input: number, output: number) {
  return {
    input_tokens: input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
    service_tier: 'standard',
  };
}

function message(call: Call, model: string, content: object[], stopReason: string | null, u: object) {
  return {
    id: `msg_mock_${call.seq}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: u,
  };
}

function stopReason(out: Outcome): string {
  return out.answer.kind === 'text' ? 'end_turn' : 'tool_use';
}

function complete(call: Call, model: string, out: Outcome): Reply {
  const a = out.answer;
  const block =
    a.kind === 'text'
      ? { type: 'text', text: a.text }
      : { type: 'tool_use', id: TOOL_USE_ID, name: a.name, input: JSON.parse(a.args) };
  const body = message(call, model, [block], stopReason(out), usage(out.inputTokens, out.outputTokens));
  return { kind: 'json', status: 200, body, headers: { 'request-id': `req_mock_${call.seq}` } };
}

/** The real event order: message_start, content_block_start, ping, deltas, stops, message_delta. */
function events(call: Call, model: string, out: Outcome): Reply {
  const a = out.answer;
  const start =
    a.kind === 'text'
      ? { type: 'text', text: '' }
      : { type: 'tool_use', id: TOOL_USE_ID, name: a.name, input: {} };
  const deltas =
    a.kind === 'text'
      ? wordChunks(a.text).map((text) => ({ type: 'text_delta', text }))
      : halves(a.args).map((partial_json) => ({ type: 'input_json_delta', partial_json }));
  const list: object[] = [
    { type: 'message_start', message: message(call, model, [], null, usage(out.inputTokens, 1)) },
    { type: 'content_block_start', index: 0, content_block: start },
    { type: 'ping' },
    ...deltas.map((delta) => ({ type: 'content_block_delta', index: 0, delta })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: stopReason(out), stop_sequence: null },
      // Current API versions repeat the cumulative input counts here next to output_tokens.
      usage: { input_tokens: out.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: out.outputTokens },
    },
    { type: 'message_stop' },
  ];
  const frames = list.map((e) => sseEvent(e, (e as { type: string }).type));
  return { kind: 'stream', frames, headers: { ...sseHeaders('text/event-stream; charset=utf-8'), 'request-id': `req_mock_${call.seq}` } };
}

/** A 400 naming the first of `required` the body lacks, as the real API words it. */
export function missingField(call: Call, required: string[]): Reply | undefined {
  const field = required.find((f) => call.body?.[f] === undefined);
  return field === undefined ? undefined : error(400, `${field}: Field required`, call.seq);
}

/** Checks shared by the endpoints: the version header, then the fields the real API requires. */
function invalid(call: Call, required: string[]): Reply | undefined {
  if (call.headers['anthropic-version'] === undefined) return error(400, 'anthropic-version: header is required', call.seq);
  return missingField(call, required);
}

/**
 * The answer to a Messages request already validated, for `model`: one message, or its SSE
 * events when `stream`. Vertex AI's `rawPredict` / `streamRawPredict` (`vertex.ts`) answer
 * with it too, the model taken from their URL.
 */
export function messagesReply(call: Call, model: string, stream: boolean): Reply {
  const out = answer('anthropic', model, conversation(call.body));
  return stream ? events(call, model, out) : complete(call, model, out);
}

function messages(stream: boolean): Route['respond'] {
  return (call) => invalid(call, ['model', 'messages', 'max_tokens']) ?? messagesReply(call, String(call.body.model), stream);
}

function countTokens(call: Call): Reply {
  return (
    invalid(call, ['model', 'messages']) ?? {
      kind: 'json',
      status: 200,
      body: { input_tokens: inputTokens(conversation(call.body)) },
    }
  );
}

function listModels(call: Call): Reply {
  const bad = invalid(call, []);
  if (bad) return bad;
  const data = call.models.map((id) => ({ type: 'model', id, display_name: displayName(id), created_at: MODEL_CREATED_AT }));
  const body = { data, has_more: false, first_id: call.models[0] ?? null, last_id: call.models.at(-1) ?? null };
  return { kind: 'json', status: 200, body };
}

/** The Anthropic Messages format. */
export const anthropic: FormatSpec = {
  format: 'anthropic',
  prefix: '/anthropic/v1',
  // SDK 1.x sends the key as `Authorization: Bearer`; older clients and curl use `x-api-key`.
  apiKey: (headers) => headers['x-api-key'] || /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1],
  missingKeyMessage: 'x-api-key header is required',
  route(method, subPath, body) {
    const model = typeof body?.model === 'string' ? body.model : undefined;
    if (method === 'POST' && subPath === '/messages') {
      const stream = body?.stream === true;
      return { model, stream, respond: messages(stream) };
    }
    if (method === 'POST' && subPath === '/messages/count_tokens') return { model, stream: false, respond: countTokens };
    if (method === 'GET' && subPath === '/models') return { model: undefined, stream: false, respond: listModels };
    return undefined;
  },
  error,
};
