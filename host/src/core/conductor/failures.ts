/**
 * The one table that says what an upstream failure means, read from its status and its body
 * together (upstreams put the reason in the body: Gemini answers a dead key with a 400, OpenAI
 * exhausted billing with a 429). The first rule that matches decides: whether the request itself
 * is at fault (answered at once, nothing cools), or how long the credential sits out the model.
 * The upstream bodies behind each rule are test fixtures in `failures.test.ts`.
 *
 * @module
 */
import type { CooldownReason } from '../state/types.js';
import type { FailureInput } from './types.js';

/** How long a rejected, unpaid or forbidden credential sits out: long enough to stop hammering it, short enough to notice a fix. */
export const CREDENTIAL_COOLDOWN_MS = 30 * 60_000;
/** How long a 404 benches a (credential, model): the upstream does not serve that model. */
export const NOT_FOUND_COOLDOWN_MS = 12 * 3_600_000;
/** How long a model with no quota at all on a credential (Gemini `limit: 0`) stays disabled there. */
export const DISABLED_MS = 24 * 3_600_000;
/** How long a 400/422 saying the model is not supported benches a (credential, model). */
export const MODEL_NOT_SUPPORTED_COOLDOWN_MS = 12 * 3_600_000;

/** What a failure means for the request and the credential. */
export type FailureClass =
  /** The request is at fault: another credential would fail the same way. */
  | { kind: 'request' }
  /** The credential (or its access to the model) is at fault, for a fixed time. */
  | { kind: 'bench'; reason: CooldownReason; ms: number }
  /** A rate limit: the upstream's retry hint, else the backoff ladder. */
  | { kind: 'quota' }
  /** Nothing says the credential is bad: `cooldown.transientSeconds`. */
  | { kind: 'transient' }
  /** The credential's token expired and its refresh failed: it fails over and its refresher backs off; nothing cools. */
  | { kind: 'unavailable' };

interface Rule {
  /** What the rule recognises, for tests and traces. */
  readonly name: string;
  matches(failure: FailureInput, text: string): boolean;
  readonly class: FailureClass;
}

const bench = (reason: CooldownReason, ms: number): FailureClass => ({ kind: 'bench', reason, ms });
const status = (...statuses: number[]) => (failure: FailureInput) => failure.status !== undefined && statuses.includes(failure.status);

/** A key the upstream refused, whatever status it came with (Gemini: 400 `API_KEY_INVALID`). */
const KEY_REJECTED = /API_KEY_INVALID|API key not valid|API key expired|invalid[_ ]api[_ ]key|Incorrect API key provided/i;

/**
 * Upstreams phrase "this model is not served here" many ways on a 400/422. The gap after
 * "model" is bounded so that an unrelated "... not found" far later in a validation message
 * (e.g. about a tool) does not bench a healthy credential for 12 h.
 */
const MODEL_NOT_SUPPORTED = [
  /model.{0,100}?(not[ _]supported|not[ _]found|does not exist|unsupported|not[ _]available)/i,
  /unsupported[ _]model/i,
  /unknown[ _]model/i,
  /invalid[ _]model/i,
];

/** In order: the first match decides. */
export const FAILURE_RULES: readonly Rule[] = [
  { name: 'no valid token', matches: (f) => f.kind === 'auth', class: { kind: 'unavailable' } },
  { name: 'rejected key', matches: (f, text) => f.status !== undefined && KEY_REJECTED.test(text), class: bench('unauthorized', CREDENTIAL_COOLDOWN_MS) },
  { name: 'exhausted billing', matches: (f, text) => f.status !== undefined && /insufficient_quota/.test(text), class: bench('payment_required', CREDENTIAL_COOLDOWN_MS) },
  { name: 'invalid grant', matches: (f, text) => f.status !== undefined && /invalid_grant/.test(text), class: bench('unauthorized', CREDENTIAL_COOLDOWN_MS) },
  { name: 'overloaded', matches: (f, text) => f.status === 529 || (f.status !== undefined && /overloaded_error/.test(text)), class: { kind: 'transient' } },
  { name: 'unauthorized', matches: status(401), class: bench('unauthorized', CREDENTIAL_COOLDOWN_MS) },
  { name: 'payment required', matches: status(402), class: bench('payment_required', CREDENTIAL_COOLDOWN_MS) },
  { name: 'forbidden', matches: status(403), class: bench('forbidden', CREDENTIAL_COOLDOWN_MS) },
  { name: 'not found', matches: status(404), class: bench('not_found', NOT_FOUND_COOLDOWN_MS) },
  {
    name: 'model not supported',
    matches: (f, text) => status(400, 422)(f) && MODEL_NOT_SUPPORTED.some((re) => re.test(text)),
    class: bench('model_not_supported', MODEL_NOT_SUPPORTED_COOLDOWN_MS),
  },
  { name: 'request error', matches: status(400, 409, 413, 415, 422), class: { kind: 'request' } },
  // Gemini's QuotaFailure with `limit: 0`: the tier has no quota for this model at all; waiting will not help.
  { name: 'no quota for the model', matches: (f, text) => f.status === 429 && /\blimit:\s*0\b|"quotaValue"\s*:\s*"0"/.test(text), class: bench('disabled', DISABLED_MS) },
  { name: 'rate limited', matches: status(429), class: { kind: 'quota' } },
];

/** 408, 5xx, network faults, timeouts, broken streams, statuses nobody expects (418). */
const TRANSIENT: Rule = { name: 'transient', matches: () => true, class: { kind: 'transient' } };

/** The rule that decides `failure`. */
export function classifyFailure(failure: FailureInput): Rule {
  const text = failure.body === undefined ? failure.message : `${failure.message}\n${failure.body}`;
  return FAILURE_RULES.find((rule) => rule.matches(failure, text)) ?? TRANSIENT;
}
