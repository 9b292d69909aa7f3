/**
 * Turning usage buckets (one per minute that saw traffic) into evenly spaced slots for a
 * chart: missing minutes count as zero, and long ranges fold several minutes into one slot so
 * a chart never draws more than about 120 bars.
 *
 * @module
 */
import { toMs } from './format';
import type { UsageBucket } from './types';

export const MINUTE = 60_000;

export type Metric = 'requests' | 'tokens' | 'errors';

/** The value of `metric` in one bucket (tokens: input plus output). */
export function metricOf(b: UsageBucket | { requests: number; inputTokens: number; outputTokens: number; errors: number }, metric: Metric): number {
  return metric === 'tokens' ? (b.inputTokens ?? 0) + (b.outputTokens ?? 0) : metric === 'errors' ? (b.errors ?? 0) : (b.requests ?? 0);
}

/** Slot width for a range: whole minutes, at most ~`maxSlots` slots. */
export function slotMs(from: number, to: number, maxSlots = 120): number {
  return Math.max(1, Math.ceil((to - from) / MINUTE / maxSlots)) * MINUTE;
}

/** Slot start times from `from` to `to` (both rounded down to the slot grid). */
export function slots(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.floor(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

/** Sums `buckets` into the slots `times` (of width `step`), per field. */
export function fold(buckets: UsageBucket[], times: number[], step: number): UsageBucket[] {
  const first = times[0] ?? 0;
  const out = times.map((t) => ({ minute: t, requests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, errors: 0 }));
  for (const b of buckets) {
    const i = Math.floor((toMs(b.minute) - first) / step);
    const slot = out[i];
    if (!slot) continue;
    slot.requests += b.requests ?? 0;
    slot.inputTokens += b.inputTokens ?? 0;
    slot.outputTokens += b.outputTokens ?? 0;
    slot.cachedTokens += b.cachedTokens ?? 0;
    slot.errors += b.errors ?? 0;
  }
  return out;
}
