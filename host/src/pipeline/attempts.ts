/**
 * The record of upstream attempts a request made, and the client error when none succeeded:
 * a request error passes on with the upstream's status, all-cooling answers 429 with
 * Retry-After, anything else 502 listing every attempt.
 *
 * @module
 */
import { type GatewayError, gatewayError } from '../errors/registry.js';
import { UpstreamError } from '../upstream/errors.js';

export interface Attempt {
  provider: string;
  model: string;
  credentialId: string;
  /** Upstream HTTP status; undefined for network faults. */
  status?: number;
  reason: string;
  durationMs: number;
  retryAfterMs?: number;
  requestError: boolean;
}

/** Records a failed attempt from whatever the upstream call threw. */
export function failedAttempt(
  err: unknown,
  where: { provider: string; model: string; credentialId: string },
  durationMs: number,
): Attempt {
  if (err instanceof UpstreamError) {
    return { ...where, status: err.status, reason: err.message, durationMs, retryAfterMs: err.retryAfterMs, requestError: err.isRequestError };
  }
  return { ...where, reason: (err as Error)?.message ?? String(err), durationMs, requestError: false };
}

/** The client error after the given attempts all failed. */
export function attemptsError(model: string, attempts: readonly Attempt[]): GatewayError {
  const last = attempts[attempts.length - 1];
  if (last?.requestError) {
    return gatewayError('upstream_request_error', `upstream rejected the request: ${last.reason}`, { status: last.status });
  }
  if (attempts.length > 0 && attempts.every((a) => a.status === 429)) {
    const waits = attempts.map((a) => a.retryAfterMs ?? 1000);
    const seconds = Math.max(1, Math.ceil(Math.min(...waits) / 1000));
    return gatewayError('model_cooldown', `All credentials for model ${model} are cooling down; retry in ${seconds}s`, {
      headers: { 'retry-after': String(seconds) },
    });
  }
  const list = attempts.map(describe).join('; ');
  return gatewayError('upstream_failed', `upstream failed after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}: ${list}`);
}

function describe(a: Attempt): string {
  return `${a.provider}/${a.model} via ${a.credentialId}: ${a.reason} (${Math.round(a.durationMs)}ms)`;
}
