/**
 * Client key checks in constant time: keys are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither the key's content nor its length leaks through timing.
 *
 * @module
 */
import { hash, timingSafeEqual } from 'node:crypto';

export interface KeySet {
  /** True when no keys are configured: client auth is off. */
  readonly open: boolean;
  has(key: string | undefined): boolean;
}

function digest(key: string): Buffer {
  // The one-shot hash: no Hash object per request.
  return hash('sha256', key, 'buffer');
}

export function keySet(keys: readonly string[]): KeySet {
  const digests = keys.map(digest);
  return {
    open: digests.length === 0,
    has(key) {
      if (key === undefined || key === '') return false;
      const d = digest(key);
      // Compare against every key, without an early exit, so timing does not reveal which matched.
      let found = false;
      for (const k of digests) found = timingSafeEqual(k, d) || found;
      return found;
    },
  };
}
