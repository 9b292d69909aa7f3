/**
 * What the formats share in reading and writing the known kinds of upstream failure: the kind a
 * bare HTTP status implies, and a tolerant read of an error body.
 *
 * @module
 */
import type { KindedError, UpstreamErrorKind } from '../errors/registry.js';

/** The kind a status says on its own, when the body says nothing more precise. */
export function statusKind(status: number): KindedError | undefined {
  const kind: UpstreamErrorKind | undefined =
    status === 401 ? 'authentication' : status === 403 ? 'permission' : status === 404 ? 'not_found' : status === 429 ? 'rate_limit' : status === 503 || status === 529 ? 'overloaded' : undefined;
  return kind && { kind };
}

/** The `error` object of a JSON error body (Gemini may wrap it in an array), or undefined. */
export function errorObject(text: string): Record<string, unknown> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const first = Array.isArray(body) ? body[0] : body;
  const error = (first as { error?: unknown } | null)?.error;
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : undefined;
}

/** A context-length kind with the counts `pattern` finds in `message` (groups: tokens, limit). */
export function contextLength(message: string, pattern: RegExp): KindedError {
  const match = pattern.exec(message);
  const tokens = Number(match?.groups?.tokens);
  const limit = Number(match?.groups?.limit);
  return { kind: 'context_length', ...(Number.isFinite(tokens) && { tokens }), ...(Number.isFinite(limit) && { limit }) };
}
