/**
 * Anthropic Messages (`POST /v1/messages`, `/v1/messages/count_tokens`, `GET /v1/models` with an
 * `anthropic-version` header), client and upstream side.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SSE_FRAMING } from '../framing.js';
import type { IRUsage } from '../ir.js';
import type { WireFormat } from '../wire-format.js';
import { errorBody, kindError } from './errors.js';
import { applyReasoning, decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, decodeUsage, encodeModelList, encodeResponse, errorMessage } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayCarryOutcome } from './stream.js';
import { anthropicUpstream } from './upstream.js';

export const anthropicFormat: WireFormat = {
  name: 'anthropic',
  modelInUrl: false,
  endpoints: [
    { url: '/v1/messages', operation: () => ({ kind: 'generate' }) },
    { url: '/v1/messages/count_tokens', operation: () => ({ kind: 'count' }) },
  ],
  // Anthropic's SDK lists models at OpenAI's URL; its version header tells the two apart.
  listing: { url: '/v1/models', claims: (headers) => headers['anthropic-version'] !== undefined, encodeList: encodeModelList },
  urlPrefixes: ['/v1/messages'],
  errorBody,
  kindError,
  framing: () => SSE_FRAMING,
  forwardHeaders,
  count: { decodeRequest, encodeResponse: (tokens) => ({ input_tokens: tokens }) },
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
  upstream: anthropicUpstream,
};

/** Beta flags (prompt caching, long context ...) go on to an Anthropic upstream. */
function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const beta = headers['anthropic-beta'];
  return typeof beta === 'string' ? { 'anthropic-beta': beta } : {};
}
