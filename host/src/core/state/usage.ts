/**
 * Usage per minute: requests, tokens and errors, by client key name, model, provider and
 * credential. Every state store keeps a {@link UsageLedger} of the minutes it has seen; shared
 * stores add every host's rows up (Redis hashes, the primary of `serve --workers`). Minutes older
 * than {@link USAGE_RETENTION_MS} are dropped.
 *
 * @module
 */
import { TupleCache } from '../tuple-cache.js';

/** What is counted. */
export interface UsageCounts {
  requests: number;
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The part of `inputTokens` served from a prompt cache. */
  cachedTokens: number;
  /** Requests answered with a status of 400 or above (499: the client left first). */
  errors: number;
}

/** What usage is kept by. Empty strings where a request never got that far (no credential picked). */
export interface UsageKey {
  /** The client key's configured name (or `key:` and a digest prefix); never the key. */
  client: string;
  model: string;
  provider: string;
  credential: string;
}

/** One minute's counts for one key; `minute` is the epoch ms the minute starts at. */
export interface UsageRow extends UsageKey, UsageCounts {
  minute: number;
}

export const MINUTE_MS = 60_000;
/** How long minutes are kept: two days at one-minute resolution. */
export const USAGE_RETENTION_MS = 48 * 3_600_000;
/** The names of the counted fields, in the order compact encodings use. */
export const USAGE_FIELDS = ['requests', 'inputTokens', 'outputTokens', 'cachedTokens', 'errors'] as const satisfies readonly (keyof UsageCounts)[];

/** The start of the minute `time` falls in. */
export function minuteOf(time: number): number {
  return time - (time % MINUTE_MS);
}

/** The four dimensions as one string: a map key, and the Redis field prefix. */
export function usageKeyString(key: UsageKey): string {
  return `${key.client}\u0000${key.model}\u0000${key.provider}\u0000${key.credential}`;
}

/** The inverse of {@link usageKeyString}; undefined for a string that is not one. */
export function parseUsageKey(text: string): UsageKey | undefined {
  const parts = text.split('\u0000');
  if (parts.length !== 4) return undefined;
  const [client, model, provider, credential] = parts as [string, string, string, string];
  return { client, model, provider, credential };
}

/** Adds `from`'s counts to `into`. */
export function addCounts(into: UsageCounts, from: UsageCounts): void {
  into.requests += from.requests;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cachedTokens += from.cachedTokens;
  into.errors += from.errors;
}

/**
 * Rows of one minute, by client, model, provider and credential (nested maps: adding to a row
 * builds no key string), and in the order they were first met.
 */
interface Minute {
  byKey: TupleCache<UsageRow>;
  rows: UsageRow[];
}

function newMinute(start: number): Minute {
  const rows: UsageRow[] = [];
  const byKey = new TupleCache<UsageRow>(4, ([client, model, provider, credential]) => {
    const row: UsageRow = { minute: start, client: String(client), model: String(model), provider: String(provider), credential: String(credential), requests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, errors: 0 };
    rows.push(row);
    return row;
  });
  return { byKey, rows };
}

/** The usage minutes one store holds, oldest first. */
export class UsageLedger {
  readonly #minutes = new Map<number, Minute>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Adds a row's counts to its minute; a minute past retention is ignored. */
  add(row: UsageRow): void {
    let minute = this.#minutes.get(row.minute);
    if (!minute) {
      if (row.minute < this.#now() - USAGE_RETENTION_MS) return;
      this.#prune();
      minute = newMinute(row.minute);
      this.#minutes.set(row.minute, minute);
    }
    addCounts(minute.byKey.get(row.client, row.model, row.provider, row.credential), row);
  }

  /** Copies of the rows of minutes in [`from`, `to`]. */
  rows(from: number, to: number): UsageRow[] {
    const out: UsageRow[] = [];
    for (const [start, minute] of this.#minutes) {
      if (start < from || start > to) continue;
      for (const row of minute.rows) out.push({ ...row });
    }
    return out;
  }

  /** Every row kept, for persistence. */
  all(): UsageRow[] {
    return this.rows(-Infinity, Infinity);
  }

  /** Drops minutes past retention; runs once per new minute, so its cost is per minute, not per request. */
  #prune(): void {
    const oldest = this.#now() - USAGE_RETENTION_MS;
    for (const start of this.#minutes.keys()) if (start < oldest) this.#minutes.delete(start);
  }
}

/** Rows for one dimension's value, summed, with their minutes (`minute` as epoch ms). */
export interface UsageGroup extends UsageCounts {
  key: string;
  buckets: (UsageCounts & { minute: number })[];
}

export type UsageGroupBy = keyof UsageKey;

/** Sums `rows` by one dimension: groups by most requests first, each with its minutes in order. */
export function groupUsage(rows: readonly UsageRow[], groupBy: UsageGroupBy): UsageGroup[] {
  const groups = new Map<string, { total: UsageGroup; minutes: Map<number, UsageCounts & { minute: number }> }>();
  for (const row of rows) {
    const key = row[groupBy];
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { total: { key, ...zero(), buckets: [] }, minutes: new Map() }));
    addCounts(group.total, row);
    let bucket = group.minutes.get(row.minute);
    if (!bucket) group.minutes.set(row.minute, (bucket = { minute: row.minute, ...zero() }));
    addCounts(bucket, row);
  }
  const out = [...groups.values()].map(({ total, minutes }) => ({ ...total, buckets: [...minutes.values()].sort((a, b) => a.minute - b.minute) }));
  return out.sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
}

function zero(): UsageCounts {
  return { requests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, errors: 0 };
}
