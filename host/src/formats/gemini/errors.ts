/**
 * Gemini's error body: `{"error": {"code", "message", "status"}}` with Google's canonical status.
 *
 * @module
 */

function canonicalStatus(status: number): string {
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

/** The error body for `status` (Gemini has no slot for the gateway's code). */
export function errorBody(status: number, _code: string, message: string): { error: { code: number; message: string; status: string } } {
  return { error: { code: status, message, status: canonicalStatus(status) } };
}
