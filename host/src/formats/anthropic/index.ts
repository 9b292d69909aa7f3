/**
 * The Anthropic Messages codec (`POST /v1/messages`, `GET /v1/models`).
 *
 * @module
 */
import type { FormatCodec } from '../codec.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeModelList, encodeResponse, errorMessage } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayFinishOrFail } from './stream.js';

/** Anthropic Messages API: client and upstream side. */
export const anthropicCodec: FormatCodec = {
  name: 'anthropic',
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder,
  createStreamEncoder,
  mayFinishOrFail,
  encodeModelList,
  errorMessage,
};
