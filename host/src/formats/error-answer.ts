/**
 * A gateway error as the client's format answers it: an interceptor's reply as the plugin wrote
 * it; an upstream's own error answer unchanged for a client of the upstream's format; a known
 * kind of upstream failure in the client's own terms; anything else in the format's error shape.
 *
 * @module
 */
import { type GatewayError, InterceptedReply } from '../errors/registry.js';
import { JsonBody } from './json-body.js';
import type { WireFormat } from './wire-format.js';

export function errorAnswer(format: WireFormat, err: GatewayError): { status: number; body: JsonBody } {
  if (err instanceof InterceptedReply && err.reply.body !== undefined) return { status: err.status, body: JsonBody.fromValue(err.reply.body) };
  // Same format: the status and bytes the upstream sent (codes like context_length_exceeded included).
  if (err.passed?.format === format.name) {
    const body = JsonBody.fromText(err.passed.text);
    if (isJson(body)) return { status: err.passed.status, body };
  }
  if (err.kind) {
    const answer = format.kindError(err.kind, err.message);
    return { status: answer.status, body: JsonBody.fromValue(answer.body) };
  }
  return { status: err.status, body: JsonBody.fromValue(format.errorBody(err.status, err.code, err.message)) };
}

function isJson(body: JsonBody): boolean {
  try {
    return typeof body.value === 'object' && body.value !== null;
  } catch {
    return false;
  }
}
