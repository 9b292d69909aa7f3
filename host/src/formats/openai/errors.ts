/**
 * OpenAI's error body: `{"error": {"message", "type", "code"}}`, and the known kinds of failure
 * in its terms (`context_length_exceeded`, `rate_limit_exceeded`, `content_filter` ...).
 *
 * @module
 */
import type { KindedError } from '../../errors/registry.js';
import { contextLength, errorObject, statusKind } from '../error-kinds.js';

/** "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens." */
const CONTEXT = /maximum context length is (?<limit>\d+) tokens.*?(?:resulted in|requested) (?<tokens>\d+) tokens/s;

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The error body for `status`; `code` fills OpenAI's `code` slot. */
export function errorBody(status: number, code: string, message: string): { error: { message: string; type: string; code: string } } {
  return { error: { message, type: errorType(status), code } };
}

/** The kind of failure an OpenAI error body says, if a known one. */
export function errorKind(status: number, text: string): KindedError | undefined {
  const error = errorObject(text);
  const code = String(error?.code ?? '');
  const message = String(error?.message ?? '');
  if (code === 'context_length_exceeded' || /maximum context length/i.test(message)) return contextLength(message, CONTEXT);
  if (code === 'content_filter' || code === 'content_policy_violation') return { kind: 'content_filter' };
  if (code === 'insufficient_quota') return undefined;
  return statusKind(status);
}

/** A known kind of failure as OpenAI says it. */
export function kindError(error: KindedError, message: string): { status: number; body: unknown } {
  const body = (status: number, type: string, code: string, text = message) => ({ status, body: { error: { message: text, type, param: null, code } } });
  switch (error.kind) {
    case 'context_length': {
      const text = error.limit !== undefined && error.tokens !== undefined
        ? `This model's maximum context length is ${error.limit} tokens. However, your messages resulted in ${error.tokens} tokens. Please reduce the length of the messages.`
        : message;
      return body(400, 'invalid_request_error', 'context_length_exceeded', text);
    }
    case 'rate_limit': return body(429, 'rate_limit_error', 'rate_limit_exceeded');
    case 'overloaded': return body(503, 'server_error', 'overloaded');
    case 'authentication': return body(401, 'authentication_error', 'invalid_api_key');
    case 'permission': return body(403, 'permission_error', 'permission_denied');
    case 'not_found': return body(404, 'invalid_request_error', 'model_not_found');
    case 'content_filter': return body(400, 'invalid_request_error', 'content_filter');
  }
}
