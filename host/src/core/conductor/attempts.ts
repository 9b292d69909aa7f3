/**
 * The record of one failed upstream attempt, as listed in a 502's message.
 *
 * @module
 */

export interface Attempt {
  provider: string;
  model: string;
  credentialId: string;
  /** Upstream HTTP status; undefined for network faults and timeouts. */
  status?: number;
  reason: string;
  durationMs: number;
}

/** `openai/gpt-4.1 via openai#0: 500 boom (12ms)`. */
export function describeAttempt(a: Attempt): string {
  return `${a.provider}/${a.model} via ${a.credentialId}: ${a.reason} (${Math.round(a.durationMs)}ms)`;
}
