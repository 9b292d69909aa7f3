/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`, `GET /v1/models`), client and upstream
 * side: also the format of every OpenAI-compatible upstream.
 *
 * @module
 */
import { SSE_FRAMING } from '../framing.js';
import type { IRUsage } from '../ir.js';
import type { WireFormat } from '../wire-format.js';
import { errorBody, kindError } from './errors.js';
import { applyReasoning, decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, decodeUsage, encodeModelList, encodeResponse, errorMessage } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayCarryOutcome } from './stream.js';
import { openaiUpstream } from './upstream.js';

export const openaiFormat: WireFormat = {
  name: 'openai',
  modelInUrl: false,
  endpoints: [{ url: '/v1/chat/completions', operation: () => ({ kind: 'generate' }) }],
  listing: { url: '/v1/models', encodeList: encodeModelList },
  // The OpenAI shape is the default for any URL no other format claims.
  urlPrefixes: ['/'],
  errorBody,
  kindError,
  framing: () => SSE_FRAMING,
  forwardHeaders: () => ({}),
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
  upstream: openaiUpstream,
};
