/**
 * Client key checks in constant time: keys are compared as SHA-256 digests, every byte of every
 * key without an early exit, so neither the key's content nor its length leaks through timing. A match
 * names the client: the key's configured name, else `key:` and the first 8 hex digits of its
 * SHA-256 (never the key itself).
 *
 * @module
 */
import { hash } from 'node:crypto';

/** A client key as the config gives it: a bare key, or a named one. */
export type ClientKey = string | { name: string; key: string };

export interface KeySet {
  /** True when no keys are configured: client auth is off. */
  readonly open: boolean;
  /** The client a presented key belongs to, or undefined when it matches none. */
  match(key: string | undefined): string | undefined;
}

/** Bytes in a SHA-256 digest. */
const DIGEST_BYTES = 32;

/**
 * The key's SHA-256 as a string of 32 latin1 (`binary`) characters, one per byte. The one-shot hash makes
 * no `Hash` object, and a string digest no `Buffer`: a Buffer per request cost ~1.2 µs more.
 */
function digest(key: string): string {
  return hash('sha256', key, 'binary');
}

/** Whether two digests are equal, looking at every byte whatever they hold (`timingSafeEqual` for strings). */
function sameDigest(a: string, b: string): boolean {
  let diff = 0;
  for (let i = 0; i < DIGEST_BYTES; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** How logs, usage and stored conversations name the client with a key of no name. */
export function clientName(key: string): string {
  return `key:${Buffer.from(digest(key), 'latin1').toString('hex').slice(0, 8)}`;
}

export function keySet(keys: readonly ClientKey[]): KeySet {
  const entries = keys.map((k) => {
    const key = typeof k === 'string' ? k : k.key;
    return { digest: digest(key), name: typeof k === 'string' ? clientName(k) : k.name };
  });
  return {
    open: entries.length === 0,
    match(key) {
      if (key === undefined || key === '') return undefined;
      const d = digest(key);
      // Compare against every key, without an early exit, so timing does not reveal which matched.
      let found: string | undefined;
      for (const entry of entries) if (sameDigest(entry.digest, d)) found ??= entry.name;
      return found;
    },
  };
}
