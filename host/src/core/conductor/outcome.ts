/**
 * What a run ends with when it does not succeed: the record of each failed attempt, the client
 * error for a request the upstream refused, and the answer once every credential and candidate
 * is spent: 429 when what holds them back is quota, 503 when they are benched for other
 * reasons, the one known kind every attempt failed with, else 502 listing every attempt.
 *
 * @module
 */
import { type GatewayError, type KindedError, gatewayError } from '../../errors/registry.js';
import { statusKind } from '../../formats/error-kinds.js';
import { UpstreamError } from '../../upstream/errors.js';
import type { StateStore } from '../state/types.js';
import { isCooling } from './cooldown.js';
import type { Pool } from './pool.js';
import type { FailureInput } from './types.js';

/** One failed upstream attempt, as listed in a 502's message. */
export interface Attempt {
  provider: string;
  model: string;
  credentialId: string;
  /** Upstream HTTP status; undefined for network faults and timeouts. */
  status?: number;
  reason: string;
  durationMs: number;
  /** The known kind of failure it was, if one (rate limited, overloaded ...). */
  kind?: KindedError;
}

/** `openai/gpt-4.1 via openai#0: 500 boom (12ms)`. */
export function describeAttempt(a: Attempt): string {
  return `${a.provider}/${a.model} via ${a.credentialId}: ${a.reason} (${Math.round(a.durationMs)}ms)`;
}

/** Every answer the host gives after exhausting its own retries and fallbacks says so. */
const NO_RETRY = { 'x-should-retry': 'false' } as const;

/** Whatever an attempt threw, in the terms the cooldown state machine takes. */
export function toFailure(err: unknown): FailureInput {
  if (err instanceof UpstreamError) return { kind: err.kind, status: err.status, retryAfterMs: err.retryAfterMs, message: err.message, body: err.body?.text };
  // An executor plugin may throw an object with a numeric status, like an upstream.
  const e = err as { status?: unknown; retryAfterMs?: unknown; message?: unknown };
  if (typeof e?.status === 'number') {
    return {
      kind: 'http',
      status: e.status,
      retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined,
      message: typeof e.message === 'string' ? e.message : `status ${e.status}`,
    };
  }
  return { kind: 'network', message: (err as Error)?.message ?? String(err) };
}

/** The known kind of failure `err` was: what its upstream's body says, else what its status says. */
export function kindOf(err: unknown, failure: FailureInput): KindedError | undefined {
  if (err instanceof UpstreamError && err.errorKind) return err.errorKind;
  return failure.status === undefined ? undefined : statusKind(failure.status);
}

/**
 * The client error for an attempt the upstream blamed on the request: the upstream's own status
 * and body for a client of its format, its known kind for the others.
 */
export function requestFailure(err: unknown, failure: FailureInput): GatewayError {
  const body = err instanceof UpstreamError ? err.body : undefined;
  return gatewayError('upstream_request_error', `upstream rejected the request: ${failure.message}`, {
    status: failure.status,
    kind: kindOf(err, failure),
    passed: body && failure.status !== undefined ? { format: body.format, status: failure.status, text: body.text } : undefined,
  });
}

/** The deadline passed (or every candidate left is ready only after it): 504, listing what was tried and skipped. */
export function deadlineError(model: string, attempts: readonly Attempt[], skipped: ReadonlySet<string>): GatewayError {
  const lines = attempts.map(describeAttempt);
  for (const label of skipped) lines.push(`${label}: skipped, cooling past the deadline`);
  const tried = lines.length > 0 ? `: ${lines.join('; ')}` : '';
  return gatewayError('deadline_exceeded', `The request's deadline for model ${model} passed before an upstream answered${tried}`, { headers: { ...NO_RETRY } });
}

/**
 * Why the chain is spent. With nothing left to try and no failure of this request's own but
 * quota: 429 with the soonest reset when quota holds any credential back, else 503 naming each
 * credential's reason and until when. Otherwise the attempts tell: their one known kind, or 502
 * listing them all.
 */
export function exhaustedError(model: string, chain: readonly Pool[], attempts: readonly Attempt[], skipped: ReadonlySet<string>, store: StateStore): GatewayError {
  const now = Date.now();
  let soonestQuota = Infinity;
  let allCooling = true;
  const benched: string[] = [];
  for (const pool of chain) {
    for (const m of pool.members) {
      for (const upstreamModel of m.models) {
        const state = store.modelState(m.credential.key, upstreamModel);
        if (!isCooling(state, now)) {
          allCooling = false;
          continue;
        }
        // A limit the upstream said is spent waits for its reset like a 429 does.
        if (state!.reason === 'quota' || state!.reason === 'headroom') soonestQuota = Math.min(soonestQuota, state!.until);
        else benched.push(`${m.id} (${m.provider}/${upstreamModel}): ${state!.reason} until ${new Date(state!.until).toISOString()}`);
      }
    }
  }
  // Nothing left to try, and this request saw only quota refusals (or none at all): say what holds the credentials back.
  const onlyQuota = allCooling && attempts.every((a) => a.status === 429);
  if (onlyQuota && Number.isFinite(soonestQuota)) {
    const ms = Math.max(0, soonestQuota - now);
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    const via = chain.map((p) => p.label).join(', ');
    return gatewayError('model_cooldown', `All credentials for model ${model} are cooling down (${via}); next reset at ${new Date(soonestQuota).toISOString()}, in ${seconds}s`, {
      headers: { ...NO_RETRY, 'retry-after': String(seconds), 'retry-after-ms': String(Math.ceil(ms)) },
    });
  }
  if (onlyQuota && benched.length > 0) {
    return gatewayError('credentials_unavailable', `No credential can serve model ${model} now: ${benched.join('; ')}`, { headers: { ...NO_RETRY } });
  }
  const lines = attempts.map(describeAttempt);
  for (const label of skipped) lines.push(`${label}: skipped, every credential cooling down`);
  const message = `upstream failed after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}: ${lines.join('; ')}`;
  // One known kind behind every attempt keeps its meaning; mixed or unknown failures are a 502.
  const first = attempts[0]?.kind;
  const kind = first && attempts.every((a) => a.kind?.kind === first.kind) ? first : undefined;
  return gatewayError('upstream_failed', message, { headers: { ...NO_RETRY }, kind });
}
