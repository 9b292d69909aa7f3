/**
 * The OpenAI Chat Completions codec (`POST /v1/chat/completions`, `GET /v1/models`).
 *
 * @module
 */
import type { FormatCodec } from '../codec.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeModelList, encodeResponse, errorMessage } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayFinishOrFail } from './stream.js';

/** Translates between OpenAI Chat Completions bodies/streams and the IR. */
export const openaiCodec: FormatCodec = {
  name: 'openai',
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
