/**
 * OpenAI Chat Completions as the mock speaks it: `POST /chat/completions` (JSON or SSE chunks
 * ending in `data: [DONE]`) and `GET /models`, under the prefix `/openai/v1`; the Responses API
 * beside it (`openai-responses.ts`).
 *
 * @module
 */

import { answer, arr, halves, textOf, wordChunks, type Conversation, type Outcome } from './common.js';
import { inputTokenCount, responses } from './openai-responses.js';
import { sseEvent, sseHeaders } from './sse.js';
import type { Call, FormatSpec, Reply, Route } from './types.js';

/** Fixed model creation time so listings are deterministic. */
const MODEL_CREATED = 1744316542;
const TOOL_CALL_ID = 'call_mock_1';

/** `type` and `code` of the real API's errors for a status. */
function errorKind(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

function error(status: number, message: string): Reply {
  return { kind: 'json', status, body: { error: { message, ...errorKind(status), param: null } } };
}

function conversation(body: any): Conversation {
  const messages = arr(body.messages);
  const isSystem = (m: any) => m?.role === 'system' || m?.role === 'developer';
  const turns = messages.filter((m) => !isSystem(m));
  // Parallel tool calls are answered by several `tool` messages in a row: together they are the last turn.
  let firstResult = turns.length;
  while (firstResult > 0 && turns[firstResult - 1]?.role === 'tool') firstResult--;
  const results = turns.slice(firstResult).map((m) => textOf(m.content));
  const firstTool = arr(body.tools).find((t) => t?.type === 'function')?.function?.name;
  return {
    system: messages.filter(isSystem).map((m) => textOf(m.content)).join('\n\n'),
    texts: turns.map((m) => textOf(m.content)),
    lastUser: textOf(turns.findLast((m) => m?.role === 'user')?.content),
    toolResult: results.length > 0 ? results.join('\n') : undefined,
    firstTool: typeof firstTool === 'string' ? firstTool : undefined,
  };
}

function usage(out: Outcome) {
  return {
    prompt_tokens: out.inputTokens,
    completion_tokens: out.outputTokens,
    total_tokens: out.inputTokens + out.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** Fields every completion and chunk object starts with. */
function envelope(call: Call, object: string) {
  return {
    id: `chatcmpl-mock-${call.seq}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: call.body.model,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

function completion(call: Call, out: Outcome): Reply {
  const a = out.answer;
  const message =
    a.kind === 'text'
      ? { role: 'assistant', content: a.text, refusal: null, annotations: [] }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: TOOL_CALL_ID, type: 'function', function: { name: a.name, arguments: a.args } }],
          refusal: null,
          annotations: [],
        };
  const choice = { index: 0, message, logprobs: null, finish_reason: a.kind === 'text' ? 'stop' : 'tool_calls' };
  return { kind: 'json', status: 200, body: { ...envelope(call, 'chat.completion'), choices: [choice], usage: usage(out) } };
}

/** Role chunk, one chunk per word (or per argument half), finish chunk, usage chunk, `[DONE]`. */
function chunks(call: Call, out: Outcome): Reply {
  const includeUsage = call.body.stream_options?.include_usage === true;
  // With include_usage the real API sends `usage: null` on every chunk before the usage chunk.
  const chunk = (delta: object, finish: string | null = null) => ({
    ...envelope(call, 'chat.completion.chunk'),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const a = out.answer;
  const deltas: object[] =
    a.kind === 'text'
      ? [{ role: 'assistant', content: '', refusal: null }, ...wordChunks(a.text).map((content) => ({ content }))]
      : [
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ index: 0, id: TOOL_CALL_ID, type: 'function', function: { name: a.name, arguments: '' } }],
            refusal: null,
          },
          ...halves(a.args).map((args) => ({ tool_calls: [{ index: 0, function: { arguments: args } }] })),
        ];
  const objects: object[] = [...deltas.map((d) => chunk(d)), chunk({}, a.kind === 'text' ? 'stop' : 'tool_calls')];
  if (includeUsage) objects.push({ ...envelope(call, 'chat.completion.chunk'), choices: [], usage: usage(out) });
  const frames = [...objects.map((o) => sseEvent(o)), sseEvent('[DONE]')];
  return { kind: 'stream', frames, headers: sseHeaders('text/event-stream; charset=utf-8') };
}

function chatCompletions(stream: boolean): Route['respond'] {
  return (call) => {
    const body = call.body;
    if (typeof body?.model !== 'string') return error(400, 'you must provide a model parameter');
    if (!Array.isArray(body.messages)) return error(400, "Missing required parameter: 'messages'.");
    const out = answer('openai', body.model, conversation(body));
    return stream ? chunks(call, out) : completion(call, out);
  };
}

function listModels(call: Call): Reply {
  const data = call.models.map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'openai' }));
  return { kind: 'json', status: 200, body: { object: 'list', data } };
}

/** The OpenAI Chat Completions format. */
export const openai: FormatSpec = {
  format: 'openai',
  prefix: '/openai/v1',
  apiKey: (headers) => /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1],
  missingKeyMessage:
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  route(method, subPath, body) {
    if (method === 'POST' && subPath === '/chat/completions') {
      const stream = body?.stream === true;
      return { model: typeof body?.model === 'string' ? body.model : undefined, stream, respond: chatCompletions(stream) };
    }
    if (method === 'GET' && subPath === '/models') return { model: undefined, stream: false, respond: listModels };
    if (method === 'POST' && subPath === '/responses') {
      const stream = body?.stream === true;
      return { model: typeof body?.model === 'string' ? body.model : undefined, stream, respond: responses(stream, error) };
    }
    if (method === 'POST' && subPath === '/responses/input_tokens') return { model: body?.model, stream: false, respond: inputTokenCount };
    return undefined;
  },
  error: (status, message) => error(status, message),
};
