/**
 * What an interceptor changed, as the decision trace tells it: the paths of the headers and
 * body fields it set, replaced or removed (`headers.x-team`, `body.messages[0].content`), never
 * their values. Bounded, since a body can be large: objects and arrays are compared six levels
 * deep, and at most {@link MAX_PATHS} paths are listed.
 *
 * @module
 */

const MAX_PATHS = 16;
const MAX_DEPTH = 6;

/** The verdict of an interceptor answer that changed `headers` (null: removed) and maybe the body. */
export function describeChanges(headers: Record<string, string | null> | undefined, before: unknown, after: unknown, bodySet: boolean): string {
  const paths: string[] = [];
  for (const name of Object.keys(headers ?? {})) paths.push(`headers.${name.toLowerCase()}`);
  if (bodySet) diff(before, after, 'body', 0, paths);
  if (paths.length === 0) return 'passed';
  const shown = paths.slice(0, MAX_PATHS);
  return `changed: ${shown.join(', ')}${paths.length > shown.length ? `, +${paths.length - shown.length} more` : ''}`;
}

function diff(a: unknown, b: unknown, path: string, depth: number, out: string[]): void {
  if (out.length > MAX_PATHS || a === b) return;
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  if (depth < MAX_DEPTH && bothArrays && a.length === b.length) {
    for (let i = 0; i < a.length; i++) diff(a[i], b[i], `${path}[${i}]`, depth + 1, out);
    return;
  }
  if (depth < MAX_DEPTH && isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[key], b[key], `${path}.${key}`, depth + 1, out);
    return;
  }
  // Primitives that differ, or containers past the depth (or of another shape) whose text differs.
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
