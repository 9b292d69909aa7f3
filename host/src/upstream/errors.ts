/**
 * What an upstream call can fail with, in the terms the conductor needs: an HTTP status (or
 * none for network faults), the upstream's message and its retry hint.
 *
 * @module
 */

import type { KindedError } from '../errors/registry.js';
import type { FormatName } from '../formats/ir.js';

/** `auth`: no call was made, the credential has no valid token (its refresh failed). */
import type { RateLimit } from './rate-limits.js';

export type UpstreamFailureKind = 'http' | 'network' | 'timeout' | 'stream' | 'auth';

/** The longest upstream error body kept; past it the reason is rarely left to find. */
export const ERROR_BODY_MAX_CHARS = 16_384;

/** An upstream's error answer as it sent it: passed on unchanged to a client of the same format. */
export interface UpstreamErrorBody {
  format: FormatName;
  /** The body text, every secret the host knows scrubbed. */
  text: string;
}

/** A failed upstream call. Never carries a credential secret. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    /** The upstream's HTTP status; undefined for network faults and timeouts. */
    readonly status?: number,
    /** How long the upstream asked us to wait, from `Retry-After` / `retry-after-ms`. */
    readonly retryAfterMs?: number,
    /** The upstream's error body, for classifying the failure and passing it on. */
    readonly body?: UpstreamErrorBody,
    /** The known kind of failure the body says (context too long, overloaded ...), if any. */
    readonly errorKind?: KindedError,
  ) {
    super(message);
  }

  /** The rate-limit signals of the error answer's headers. */
  limits?: RateLimit[];
}

/**
 * Reads the upstream's retry hint: `retry-after-ms`, else `Retry-After` as seconds or an HTTP
 * date. Returns milliseconds, or undefined when absent or unparsable.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = first(headers['retry-after'])?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const NETWORK_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Wraps a transport error (reset, refused, timeout) as an {@link UpstreamError}. */
export function fromTransportError(err: unknown): UpstreamError {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message || String(err);
  if (NETWORK_TIMEOUT_CODES.has(code)) return new UpstreamError('timeout', `${code}: ${message}`);
  return new UpstreamError('network', code ? `${code}: ${message}` : message);
}
