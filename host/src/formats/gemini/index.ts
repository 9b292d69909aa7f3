/**
 * Gemini (`POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
 * `:countTokens`; `GET /v1beta/models`), client and upstream side. The model and the stream
 * flag travel in the URL, never in the body.
 *
 * @module
 */
import { gatewayError } from '../../errors/registry.js';
import { JSON_ARRAY_FRAMING, SSE_FRAMING } from '../framing.js';
import type { IRUsage } from '../ir.js';
import type { DecodeOptions, Operation, WireFormat } from '../wire-format.js';
import { errorBody, kindError } from './errors.js';
import { applyReasoning, decodeRequest, encodeRequest } from './request.js';
import { decodeUsage } from './mapping.js';
import { decodeResponse, encodeModelList, encodeResponse, errorMessage } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayCarryOutcome } from './stream.js';
import { geminiUpstream } from './upstream.js';

export const geminiFormat: WireFormat = {
  name: 'gemini',
  modelInUrl: true,
  endpoints: [{ url: '/v1beta/models/:target', operation: (params) => operation(params.target ?? '') }],
  listing: {
    url: '/v1beta/models',
    itemUrl: '/v1beta/models/:target',
    encodeList: encodeModelList,
    encodeItem: (model) => (encodeModelList([model]) as { models: unknown[] }).models[0],
  },
  urlPrefixes: ['/v1beta'],
  errorBody,
  kindError,
  // `alt=sse` asks for server-sent events; without it Gemini streams one JSON array.
  framing: (query) => (query.alt === 'sse' ? SSE_FRAMING : JSON_ARRAY_FRAMING),
  forwardHeaders: () => ({}),
  count: { decodeRequest: decodeCountRequest, encodeResponse: (tokens) => ({ totalTokens: tokens }) },
  decodeRequest,
  encodeRequest,
  applyReasoning,
  usageField: 'usageMetadata',
  // The upstream's object, read as the format's wire usage: every count is checked where it is used.
  decodeUsage: decodeUsage as (usage: object) => IRUsage,
  decodeResponse,
  encodeResponse,
  createStreamDecoder,
  createStreamEncoder,
  mayCarryOutcome,
  errorMessage,
  upstream: geminiUpstream,
};

/** The `{model}:{method}` path segment (the router has already percent-decoded it). */
function operation(target: string): Operation {
  const colon = target.lastIndexOf(':');
  if (colon <= 0) throw gatewayError('not_found', `Expected models/{model}:{method}, got '${target}'`);
  const model = target.slice(0, colon);
  const method = target.slice(colon + 1);
  switch (method) {
    case 'generateContent':
      return { kind: 'generate', model, stream: false };
    case 'streamGenerateContent':
      return { kind: 'generate', model, stream: true };
    case 'countTokens':
      return { kind: 'count', model };
    default:
      throw gatewayError('not_found', `Unknown Gemini method '${method}'`);
  }
}

/** `countTokens` takes either `{contents}` or a whole `{generateContentRequest}`. */
function decodeCountRequest(body: unknown, options: DecodeOptions) {
  const wrapped = (body as { generateContentRequest?: unknown } | null)?.generateContentRequest;
  return decodeRequest(typeof wrapped === 'object' && wrapped !== null ? wrapped : body, options);
}
