/**
 * Zod validation for client bodies that names the offending field the way a client reads it
 * (`messages[1].content: ...`).
 *
 * @module
 */
import type { z } from 'zod';
import { gatewayError } from '../errors/registry.js';

/** Formats a zod issue path as `a.b[2].c`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || 'body';
}

/** Parses `body` with `schema`, throwing `invalid_body` (400) naming the first bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw gatewayError('invalid_body', `${fieldPath(issue.path)}: ${issue.message}`);
}
