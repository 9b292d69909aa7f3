/**
 * Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`, and the known kinds
 * of failure in its terms (`overloaded_error` 529, "prompt is too long: N tokens > M maximum" ...).
 *
 * @module
 */
import type { KindedError } from '../../errors/registry.js';
import { contextLength, errorObject, statusKind } from '../error-kinds.js';

/** Claude Code compacts its history on exactly this wording. */
const CONTEXT = /prompt is too long:\s*(?<tokens>\d+) tokens > (?<limit>\d+)/i;

function errorType(status: number): string {
  switch (status) {
    case 401: return 'authentication_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 529: return 'overloaded_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** The error body for `status` (Anthropic has no slot for the gateway's code). */
export function errorBody(status: number, _code: string, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: errorType(status), message } };
}

/** The kind of failure an Anthropic error body says, if a known one. */
export function errorKind(status: number, text: string): KindedError | undefined {
  const error = errorObject(text);
  const type = String(error?.type ?? '');
  const message = String(error?.message ?? '');
  if (/prompt is too long/i.test(message)) return contextLength(message, CONTEXT);
  if (type === 'overloaded_error') return { kind: 'overloaded' };
  if (type === 'rate_limit_error') return { kind: 'rate_limit' };
  if (type === 'authentication_error') return { kind: 'authentication' };
  if (type === 'permission_error') return { kind: 'permission' };
  if (type === 'not_found_error') return { kind: 'not_found' };
  return statusKind(status);
}

/** A known kind of failure as Anthropic says it. */
export function kindError(error: KindedError, message: string): { status: number; body: unknown } {
  const body = (status: number, type: string, text = message) => ({ status, body: { type: 'error', error: { type, message: text } } });
  switch (error.kind) {
    case 'context_length':
      return body(400, 'invalid_request_error', error.tokens !== undefined && error.limit !== undefined ? `prompt is too long: ${error.tokens} tokens > ${error.limit} maximum` : `prompt is too long: ${message}`);
    case 'rate_limit': return body(429, 'rate_limit_error');
    case 'overloaded': return body(529, 'overloaded_error');
    case 'authentication': return body(401, 'authentication_error');
    case 'permission': return body(403, 'permission_error');
    case 'not_found': return body(404, 'not_found_error');
    case 'content_filter': return body(400, 'invalid_request_error');
  }
}
