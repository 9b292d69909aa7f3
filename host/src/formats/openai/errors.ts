/**
 * OpenAI's error body: `{"error": {"message", "type", "code"}}`.
 *
 * @module
 */

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
