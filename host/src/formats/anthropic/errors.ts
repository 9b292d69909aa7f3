/**
 * Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`.
 *
 * @module
 */

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
