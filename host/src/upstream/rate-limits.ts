/**
 * The rate-limit signals upstreams send with their answers, read into one shape: per dimension
 * (requests, tokens, input-tokens, output-tokens, and Anthropic's subscription windows) the
 * limit, what remains and when it resets. OpenAI sends `x-ratelimit-{limit,remaining,reset}-*`
 * with reset durations (`6m0s`, `120ms`); Anthropic `anthropic-ratelimit-*-{limit,remaining,reset}`
 * with RFC 3339 resets, and on subscriptions `anthropic-ratelimit-unified-{5h,7d}-*` with a
 * utilization fraction and epoch-second resets. Gemini sends none. Values that make no sense
 * (Azure's `-1`) count as unknown. Runs on every answer: one header lookup decides whether
 * there is anything to read.
 *
 * @module
 */

/** What one dimension of an upstream's limits says now. */
export interface RateLimit {
  dimension: string;
  limit?: number;
  remaining?: number;
  /** Epoch ms. */
  resetAt?: number;
  /** Where it was read: the header family. */
  source: 'openai-headers' | 'anthropic-headers' | 'anthropic-unified';
}

type Headers = Record<string, string | string[] | undefined>;

const OPENAI_DIMENSIONS = ['requests', 'tokens'] as const;
const ANTHROPIC_DIMENSIONS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;
const UNIFIED_WINDOWS = ['5h', '7d'] as const;
/** Any of these says an Anthropic answer carries limits. */
const ANTHROPIC_SENTINELS = [...ANTHROPIC_DIMENSIONS.map((d) => `anthropic-ratelimit-${d}-remaining`), 'anthropic-ratelimit-unified-status'];

/** Every rate-limit signal in `headers`, read at `now`; empty when the answer carries none. */
export function readRateLimits(headers: Headers, now: number): RateLimit[] {
  if (headers['x-ratelimit-remaining-requests'] !== undefined || headers['x-ratelimit-remaining-tokens'] !== undefined) return openai(headers, now);
  if (ANTHROPIC_SENTINELS.some((name) => headers[name] !== undefined)) return anthropic(headers);
  return [];
}

function openai(headers: Headers, now: number): RateLimit[] {
  const out: RateLimit[] = [];
  for (const dimension of OPENAI_DIMENSIONS) {
    const limit = count(headers[`x-ratelimit-limit-${dimension}`]);
    const remaining = count(headers[`x-ratelimit-remaining-${dimension}`]);
    const reset = duration(headers[`x-ratelimit-reset-${dimension}`]);
    if (limit === undefined && remaining === undefined) continue;
    out.push(limitOf(dimension, 'openai-headers', limit, remaining, reset === undefined ? undefined : now + reset));
  }
  return out;
}

function anthropic(headers: Headers): RateLimit[] {
  const out: RateLimit[] = [];
  for (const dimension of ANTHROPIC_DIMENSIONS) {
    const limit = count(headers[`anthropic-ratelimit-${dimension}-limit`]);
    const remaining = count(headers[`anthropic-ratelimit-${dimension}-remaining`]);
    if (limit === undefined && remaining === undefined) continue;
    out.push(limitOf(dimension, 'anthropic-headers', limit, remaining, instant(headers[`anthropic-ratelimit-${dimension}-reset`])));
  }
  // Subscription windows: a utilization fraction, as a share of 1000 so it reads like the others.
  for (const window of UNIFIED_WINDOWS) {
    const utilization = fraction(headers[`anthropic-ratelimit-unified-${window}-utilization`]);
    const resetSeconds = count(headers[`anthropic-ratelimit-unified-${window}-reset`]);
    const rejected = text(headers[`anthropic-ratelimit-unified-${window}-status`]) === 'rejected';
    if (utilization === undefined && resetSeconds === undefined && !rejected) continue;
    // A window the upstream says it rejects is spent, whatever its utilization reads.
    const remaining = rejected ? 0 : utilization === undefined ? undefined : Math.round((1 - utilization) * 1000);
    out.push(limitOf(`unified-${window}`, 'anthropic-unified', 1000, remaining, resetSeconds === undefined ? undefined : resetSeconds * 1000));
  }
  return out;
}

function limitOf(dimension: string, source: RateLimit['source'], limit: number | undefined, remaining: number | undefined, resetAt: number | undefined): RateLimit {
  const out: RateLimit = { dimension, source };
  if (limit !== undefined) out.limit = limit;
  if (remaining !== undefined) out.remaining = remaining;
  if (resetAt !== undefined) out.resetAt = resetAt;
  return out;
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A non-negative whole count; `-1` and garbage are unknown. */
function count(value: string | string[] | undefined): number | undefined {
  const t = text(value);
  if (t === undefined || !/^\d+$/.test(t.trim())) return undefined;
  return Number(t);
}

function fraction(value: string | string[] | undefined): number | undefined {
  const n = Number(text(value));
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/** An RFC 3339 time as epoch ms. */
function instant(value: string | string[] | undefined): number | undefined {
  const t = text(value);
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration (`6m0s`, `1.5s`, `120ms`) in ms; undefined when it is not one. */
export function duration(value: string | string[] | undefined): number | undefined {
  const t = text(value)?.trim();
  if (!t || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(ms);
}
