/**
 * What the management routes share in reading their input: times as RFC 3339 or epoch ms, and
 * one way to turn a failed validation into a 400 that names the field.
 *
 * @module
 */
import { z } from 'zod';
import { gatewayError } from '../errors/registry.js';

/** RFC 3339 or epoch ms, as epoch ms. */
export const instant = z.string().transform((text, ctx) => {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'expected an RFC 3339 time or epoch milliseconds' });
  return ms;
});

/** `input` validated by `schema`; a 400 `invalid_body` naming the first bad field (`what`: `query`, `body`). */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: 'query' | 'body'): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  throw gatewayError('invalid_body', what === 'query' ? `query ${path || 'parameter'}: ${issue.message}` : `${path || 'body'}: ${issue.message}`);
}
