/**
 * OpenAI Responses (`POST /v1/responses`, `/v1/responses/input_tokens`, `GET`/`DELETE
 * /v1/responses/{id}`), client and upstream side: the format of Codex, the Agents SDK and the AI
 * SDK's OpenAI provider, and of `openai-responses` upstreams.
 *
 * @module
 */
import { SSE_FRAMING } from '../framing.js';
import { errorBody as chatErrorBody, kindError } from '../openai/errors.js';
import { errorMessage } from '../openai/response.js';
import type { IRUsage } from '../ir.js';
import type { WireFormat } from '../wire-format.js';
import { responsesConversation } from './conversation.js';
import { applyReasoning, decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, decodeUsage, encodeResponse } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayCarryOutcome } from './stream.js';
import { responsesUpstream } from './upstream.js';

/** OpenAI's error body, with the `param` slot the Responses API always fills. */
function errorBody(status: number, code: string, message: string): unknown {
  const { error } = chatErrorBody(status, code, message);
  return { error: { ...error, param: null } };
}

/**
 * The Responses format. It has no model listing of its own: its clients list models at
 * OpenAI's `GET /v1/models`, which the Chat Completions format answers.
 */
export const openaiResponsesFormat: WireFormat = {
  name: 'openai-responses',
  modelInUrl: false,
  endpoints: [
    { url: '/v1/responses', operation: () => ({ kind: 'generate' }) },
    { url: '/v1/responses/input_tokens', operation: () => ({ kind: 'count' }) },
  ],
  urlPrefixes: ['/v1/responses'],
  errorBody,
  kindError,
  framing: () => SSE_FRAMING,
  forwardHeaders: () => ({}),
  count: { decodeRequest, encodeResponse: (tokens) => ({ object: 'response.input_tokens', input_tokens: tokens }) },
  conversation: responsesConversation,
  decodeRequest,
  encodeRequest,
  applyReasoning,
  usageField: 'usage',
  // The upstream's object, read as the format's wire usage: every count is checked where it is used.
  decodeUsage: decodeUsage as (usage: object) => IRUsage,
  decodeResponse,
  encodeResponse,
  createStreamDecoder,
  createStreamEncoder,
  mayCarryOutcome,
  errorMessage,
  upstream: responsesUpstream,
};
