/**
 * Gemini's error body: `{"error": {"code", "message", "status"}}` with Google's canonical status,
 * and the known kinds of failure in its terms.
 *
 * @module
 */
import type { KindedError } from '../../errors/registry.js';
import { contextLength, errorObject, statusKind } from '../error-kinds.js';

/** "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)." */
const CONTEXT = /input token count \((?<tokens>\d+)\) exceeds the maximum number of tokens allowed \((?<limit>\d+)\)/i;

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

/** The kind of failure a Gemini error body says, if a known one. */
export function errorKind(status: number, text: string): KindedError | undefined {
  const error = errorObject(text);
  const message = String(error?.message ?? '');
  if (CONTEXT.test(message)) return contextLength(message, CONTEXT);
  switch (error?.status) {
    case 'RESOURCE_EXHAUSTED': return { kind: 'rate_limit' };
    case 'UNAVAILABLE': return { kind: 'overloaded' };
    case 'UNAUTHENTICATED': return { kind: 'authentication' };
    case 'PERMISSION_DENIED': return { kind: 'permission' };
    case 'NOT_FOUND': return { kind: 'not_found' };
  }
  return statusKind(status);
}

/** A known kind of failure as Gemini says it. */
export function kindError(error: KindedError, message: string): { status: number; body: unknown } {
  const body = (status: number, text = message) => ({ status, body: errorBody(status, '', text) });
  switch (error.kind) {
    case 'context_length':
      return body(400, error.tokens !== undefined && error.limit !== undefined ? `The input token count (${error.tokens}) exceeds the maximum number of tokens allowed (${error.limit}).` : message);
    case 'rate_limit': return body(429);
    case 'overloaded': return body(503);
    case 'authentication': return body(401);
    case 'permission': return body(403);
    case 'not_found': return body(404);
    case 'content_filter': return body(400);
  }
}
