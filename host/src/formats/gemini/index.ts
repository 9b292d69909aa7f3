/**
 * The Gemini `generateContent` / `streamGenerateContent?alt=sse` wire format.
 *
 * @module
 */
import type { FormatCodec } from '../codec.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeModelList, encodeResponse, errorMessage } from './response.js';
import { createStreamDecoder, createStreamEncoder, mayFinishOrFail } from './stream.js';

/** The Gemini codec: model and stream flag come from the URL, never the body. */
export const geminiCodec: FormatCodec = {
  name: 'gemini',
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
