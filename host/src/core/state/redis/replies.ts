/**
 * Reading Redis replies the same way whichever shape the client hands them in.
 *
 * @module
 */

/** HGETALL's answer as pairs, whether the client gives an object or a flat list. */
export function pairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  if (reply && typeof reply === 'object') return Object.entries(reply as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  return [];
}
