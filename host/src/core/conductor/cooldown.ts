/**
 * The cooldown state machine: what one failed upstream attempt does to the state of a
 * (credential, model) pair. Pure functions of (previous state, failure, now), so the conductor
 * decides and the store only remembers.
 *
 * @module
 */
import type { ModelState } from '../state/types.js';
import { classifyFailure } from './failures.js';
import type { FailureInput } from './types.js';

/** The first wait of a 429 without a retry hint; it doubles with each window. */
export const QUOTA_BACKOFF_BASE_MS = 1_000;
/** The longest wait of a 429 without a retry hint. */
export const QUOTA_BACKOFF_MAX_MS = 30 * 60_000;
/** Upstream messages are kept for management views, truncated to this length. */
export const MESSAGE_MAX_CHARS = 300;

/** Tunables of the state machine that come from config. */
export interface CooldownPolicy {
  /** How long 408, 5xx and network faults bench a (credential, model); 0 disables it. */
  transientMs: number;
}

/** What a failure does. */
export interface FailureOutcome {
  /** The new state of the (credential, model); undefined clears it. */
  state: ModelState | undefined;
  /**
   * True when the request itself is at fault: another credential would fail the same way, so
   * the conductor should return the error to the client instead of trying further.
   */
  requestError: boolean;
}

/** True while `state` forbids its credential from serving its model at `now`. */
export function isCooling(state: ModelState | undefined, now: number): boolean {
  return state !== undefined && state.until > now;
}

/**
 * Decides what `failure` does to the (credential, model) whose state was `prev`.
 *
 * A cooldown is never shortened: when `prev` already lasts at least as long as the new one
 * would, `prev` is returned unchanged, reason and message included, since the longer
 * cooldown is the one that explains why the credential is benched.
 */
export function applyFailure(
  prev: ModelState | undefined,
  failure: FailureInput,
  now: number,
  policy: CooldownPolicy,
): FailureOutcome {
  const decided = classifyFailure(failure).class;
  switch (decided.kind) {
    case 'request':
      return { state: prev, requestError: true };
    case 'unavailable':
      return { state: prev, requestError: false };
    case 'bench':
      return cool(prev, failure, now, decided.ms, decided.reason);
    case 'quota':
      return { state: quota(prev, failure, now), requestError: false };
    case 'transient':
      if (policy.transientMs <= 0) return { state: isCooling(prev, now) ? prev : undefined, requestError: false };
      return cool(prev, failure, now, policy.transientMs, 'transient');
  }
}

function cool(
  prev: ModelState | undefined,
  failure: FailureInput,
  now: number,
  durationMs: number,
  reason: ModelState['reason'],
): FailureOutcome {
  const until = now + durationMs;
  if (prev !== undefined && prev.until >= until) return { state: prev, requestError: false };
  return { state: build(failure, until, reason, prev?.backoffLevel ?? 0), requestError: false };
}

/**
 * A 429 escalates the backoff once per window: concurrent calls that were already in flight
 * when the first 429 arrived all come back with 429 too, and counting each of them would
 * jump straight to the longest wait.
 */
function quota(prev: ModelState | undefined, failure: FailureInput, now: number): ModelState {
  const level = prev?.backoffLevel ?? 0;
  const hint = failure.retryAfterMs;
  if (prev !== undefined && prev.reason === 'quota' && prev.until > now) {
    // Only the upstream's own hint may lengthen the window; the level stays.
    const longer = hint !== undefined && now + hint > prev.until;
    return longer ? build(failure, now + hint, 'quota', level) : prev;
  }
  // The upstream's hint is authoritative, so it neither needs nor feeds the backoff.
  const backoffMs = Math.min(QUOTA_BACKOFF_BASE_MS * 2 ** level, QUOTA_BACKOFF_MAX_MS);
  const next =
    hint !== undefined
      ? build(failure, now + Math.max(0, hint), 'quota', level)
      : build(failure, now + backoffMs, 'quota', level + 1);
  return prev !== undefined && prev.until >= next.until ? prev : next;
}

function build(
  failure: FailureInput,
  until: number,
  reason: ModelState['reason'],
  backoffLevel: number,
): ModelState {
  const state: ModelState = { until, reason, backoffLevel };
  if (failure.status !== undefined) state.status = failure.status;
  if (failure.message) state.message = failure.message.slice(0, MESSAGE_MAX_CHARS);
  return state;
}
