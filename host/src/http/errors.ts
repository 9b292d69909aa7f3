/**
 * Turns anything thrown while serving a request into the endpoint's own error shape with a
 * precise status: gateway errors as coded, fastify's body errors as 400/413/415, the rest 500.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type GatewayError, asGatewayError, gatewayError, isGatewayError } from '../errors/registry.js';
import { errorAnswer } from '../formats/error-answer.js';
import { FORMATS, formatOfUrl, listingFormat } from '../formats/index.js';
import type { FormatName } from '../formats/ir.js';
import type { WireFormat } from '../formats/wire-format.js';
import { keepAnswer } from './exchanges.js';

/** Maps fastify's own errors (body parsing, limits) to coded gateway errors. */
export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return gatewayError('body_too_large', 'Request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return gatewayError('unsupported_media_type', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return gatewayError('invalid_body', 'body: expected a JSON object, got an empty body');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return gatewayError('invalid_body', 'body: length does not match Content-Length');
  }
  // Only input nested thousands deep overflows the stack while a request is decoded.
  if (err instanceof RangeError && /call stack/i.test(e.message ?? '')) return gatewayError('invalid_body', 'body: nested too deeply to process');
  if (err instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return gatewayError('invalid_body', `body: invalid JSON (${e.message ?? 'parse error'})`);
  }
  if (e.code === 'FST_ERR_BAD_URL') return gatewayError('invalid_body', `url: ${e.message ?? 'malformed'}`);
  if (e.code === 'FST_ERR_MAX_PARAM_LENGTH') return gatewayError('invalid_body', 'url: a path segment is too long', { status: 414 });
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return gatewayError('invalid_body', e.message ?? 'bad request', { status: e.statusCode });
  }
  return asGatewayError(err);
}

/** Sends `err` as the client's format answers it (see {@link errorAnswer}). */
export function sendError(reply: FastifyReply, format: WireFormat, err: GatewayError, requestId: string): void {
  if (err.headers) reply.headers(err.headers);
  reply.header('x-switchyard-request-id', requestId);
  const { status, body } = errorAnswer(format, err);
  const text = body.text;
  keepAnswer(reply.request, text);
  reply.code(status).type('application/json; charset=utf-8').send(text);
}

/** The format of the route that served `request`, else the one its URL belongs to. */
export function routeFormat(request: FastifyRequest): WireFormat {
  const config = request.routeOptions.config as { format?: FormatName; listing?: boolean } | undefined;
  if (config?.format) return FORMATS[config.format];
  // A listing shared by several formats answers (and fails) in the one the request is for.
  if (config?.listing) return listingFormat(request.routeOptions.url!, request.headers) ?? formatOfUrl(request.url);
  return formatOfUrl(request.url);
}
