/**
 * Renders errors in each wire format's own error shape:
 * OpenAI `{"error":{"message","type","code"}}`, Anthropic `{"type":"error","error":{"type","message"}}`,
 * Gemini `{"error":{"code","message","status"}}`.
 *
 * @module
 */
import type { FormatName } from '../formats/ir.js';

function openaiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function anthropicType(status: number): string {
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

function geminiStatus(status: number): string {
  switch (status) {
    case 400: case 413: case 415: return 'INVALID_ARGUMENT';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'NOT_FOUND';
    case 429: return 'RESOURCE_EXHAUSTED';
    case 502: case 503: return 'UNAVAILABLE';
    case 504: return 'DEADLINE_EXCEEDED';
    default: return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/**
 * The error body for `format`. `code` is the gateway's error code (OpenAI shows it as `code`;
 * the other formats have no slot for it).
 */
export function errorBody(format: FormatName, status: number, code: string, message: string): Record<string, unknown> {
  switch (format) {
    case 'openai':
      return { error: { message, type: openaiType(status), code } };
    case 'anthropic':
      return { type: 'error', error: { type: anthropicType(status), message } };
    case 'gemini':
      return { error: { code: status, message, status: geminiStatus(status) } };
  }
}
