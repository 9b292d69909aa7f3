/**
 * The Gemini API as the mock speaks it, under the prefix `/gemini/v1beta`:
 * `POST /models/{model}:generateContent`, `:streamGenerateContent` (SSE with `alt=sse`, else a
 * streamed JSON array), `:countTokens` and `GET /models`.
 *
 * @module
 */

import { answer, arr, displayName, inputTokens, textOf, wordChunks, type Conversation, type Outcome } from './common.js';
import { jsonArrayFrames, sseEvent, sseHeaders } from './sse.js';
import type { Call, FormatSpec, Reply, Route } from './types.js';

const TOOL_CALL_ID = 'call_mock_1';
/** The model actions, the `:{action}` after `models/{model}`; Vertex AI serves the same ones. */
export const ACTIONS = ['generateContent', 'streamGenerateContent', 'countTokens'] as const;
export type Action = (typeof ACTIONS)[number];

/** The real API's `error.status` for an HTTP status. */
function errorStatus(status: number): string {
  const names: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    500: 'INTERNAL',
    501: 'NOT_IMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return names[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
}

/** An error in the API's shape (`{error: {code, message, status}}`), which Vertex AI shares. */
export function error(status: number, message: string): Reply {
  return { kind: 'json', status, body: { error: { code: status, message, status: errorStatus(status) } } };
}

/**
 * A function response as text: the value itself when the response object has a single string
 * field (the `{output: ...}` / `{result: ...}` wrappers translators use), else its JSON.
 */
function responseText(response: unknown): string {
  if (response !== null && typeof response === 'object') {
    const values = Object.values(response);
    if (values.length === 1 && typeof values[0] === 'string') return values[0];
  }
  return JSON.stringify(response ?? {});
}

function conversation(request: any): Conversation {
  const contents = arr(request.contents);
  const parts = (c: any) => arr(c?.parts);
  const results = (c: any) => parts(c).filter((p) => p?.functionResponse).map((p) => responseText(p.functionResponse.response));
  const lastResults = results(contents.at(-1));
  // A content without a role is a user turn, as the API documents for single-turn requests.
  const lastUser = contents.findLast((c) => c?.role === undefined || c?.role === 'user');
  const firstTool = arr(request.tools).flatMap((t) => arr(t?.functionDeclarations))[0]?.name;
  return {
    system: textOf(parts(request.systemInstruction)),
    texts: contents.flatMap((c) => [textOf(parts(c)), ...results(c)]),
    lastUser: textOf(parts(lastUser)),
    toolResult: lastResults.length > 0 ? lastResults.join('\n') : undefined,
    firstTool: typeof firstTool === 'string' ? firstTool : undefined,
  };
}

function usageMetadata(out: Outcome) {
  return {
    promptTokenCount: out.inputTokens,
    candidatesTokenCount: out.outputTokens,
    totalTokenCount: out.inputTokens + out.outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: out.inputTokens }],
  };
}

/** One GenerateContentResponse; `last` adds the finish reason and usage. */
function response(call: Call, model: string, parts: object[], out: Outcome, last: boolean) {
  const candidate = { content: { parts, role: 'model' }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 };
  return {
    candidates: [candidate],
    ...(last ? { usageMetadata: usageMetadata(out) } : {}),
    modelVersion: model,
    responseId: `mock-${call.seq}`,
  };
}

/** The parts of each response: one per word when streaming text, else all in one. */
function answerParts(out: Outcome, stream: boolean): object[][] {
  const a = out.answer;
  if (a.kind === 'text') return (stream ? wordChunks(a.text) : [a.text]).map((text) => [{ text }]);
  // Gemini never splits a function call across chunks, so a tool call is one chunk.
  return [[{ functionCall: { id: TOOL_CALL_ID, name: a.name, args: JSON.parse(a.args) } }]];
}

/**
 * The responder of one model action for `model`, validation included. Vertex AI's
 * `publishers/google` routes (`vertex.ts`) use it as is: the wire format is the same.
 */
export function generate(model: string, action: Action): Route['respond'] {
  return (call) => {
    if (action === 'countTokens') {
      // The API accepts either bare `contents` or a whole `generateContentRequest`.
      const request = call.body?.generateContentRequest ?? call.body ?? {};
      if (!Array.isArray(request.contents)) return error(400, '* CountTokensRequest.contents: contents is not specified');
      const n = inputTokens(conversation(request));
      return { kind: 'json', status: 200, body: { totalTokens: n, promptTokensDetails: [{ modality: 'TEXT', tokenCount: n }] } };
    }
    if (arr(call.body?.contents).length === 0) {
      return error(400, '* GenerateContentRequest.contents: contents is not specified');
    }
    const out = answer('gemini', model, conversation(call.body));
    const chunks = answerParts(out, action === 'streamGenerateContent');
    if (action === 'generateContent') {
      return { kind: 'json', status: 200, body: response(call, model, chunks[0] ?? [], out, true) };
    }
    const items = chunks.map((parts, i) => response(call, model, parts, out, i === chunks.length - 1));
    if (call.query['alt'] === 'sse') {
      return { kind: 'stream', frames: items.map((item) => sseEvent(item, undefined, '\r\n')), headers: sseHeaders() };
    }
    return { kind: 'stream', frames: jsonArrayFrames(items), headers: { 'content-type': 'application/json; charset=UTF-8' } };
  };
}

function listModels(call: Call): Reply {
  const models = call.models.map((id) => ({
    name: `models/${id}`,
    version: '001',
    displayName: displayName(id),
    inputTokenLimit: 1048576,
    outputTokenLimit: 65536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
  }));
  return { kind: 'json', status: 200, body: { models } };
}

/** The Gemini API format. */
export const gemini: FormatSpec = {
  format: 'gemini',
  prefix: '/gemini/v1beta',
  apiKey: (headers, query) => headers['x-goog-api-key'] || query['key'] || undefined,
  missingKeyMessage:
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  route(method, subPath) {
    if (method === 'GET' && subPath === '/models') return { model: undefined, stream: false, respond: listModels };
    const m = /^\/models\/([^/:]+):([A-Za-z]+)$/.exec(subPath);
    const action = ACTIONS.find((a) => a === m?.[2]);
    if (method !== 'POST' || m === null || action === undefined) return undefined;
    const model = decodeURIComponent(m[1] ?? '');
    return { model, stream: action === 'streamGenerateContent', respond: generate(model, action) };
  },
  error: (status, message) => error(status, message),
};
