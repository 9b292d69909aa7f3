/**
 * The rule every store applies when a cooldown is set: a deadline is only ever extended. Two
 * failures racing (on one host, or on two hosts sharing a store) leave the longer cooldown, so a
 * second 429 with a short `Retry-After` never shortens the first one's wait. The Redis store runs
 * the same rule in a server-side script (`redis/scripts.ts`).
 *
 * @module
 */
import type { ModelState } from './types.js';

/** The cooldown in force after `next` is set over `current` at `now`. */
export function extendCooldown(current: ModelState | undefined, next: ModelState, now: number): ModelState {
  if (current === undefined || current.until <= now) return next;
  if (current.until >= next.until) {
    return current.backoffLevel >= next.backoffLevel ? current : { ...current, backoffLevel: next.backoffLevel };
  }
  return next.backoffLevel >= current.backoffLevel ? next : { ...next, backoffLevel: current.backoffLevel };
}
