/**
 * Text for times, durations and numbers, the same on every page.
 *
 * @module
 */

/** Epoch ms from an RFC 3339 string or an epoch-ms number (or numeric string); NaN when neither. */
export function toMs(value: string | number | undefined | null): number {
  if (value === undefined || value === null || value === '') return NaN;
  if (typeof value === 'number') return value;
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

/** Local wall-clock time, seconds included (`14:03:07`). */
export function clock(value: string | number | undefined): string {
  const ms = toMs(value);
  if (Number.isNaN(ms)) return '—';
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

/** Local date and time, for values that may be days away. */
export function dateTime(value: string | number | undefined): string {
  const ms = toMs(value);
  if (Number.isNaN(ms)) return '—';
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? clock(ms) : d.toLocaleString(undefined, { hour12: false });
}

/** A remaining time in whole seconds as `45s`, `3m 05s`, `2h 04m` or `3d 2h`. */
export function remaining(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** Milliseconds with a unit, one decimal under 10 ms. */
export function ms(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

/** A count with thousands grouped; `1.2k`-style when `compact`. */
export function count(value: number | undefined | null, compact = false): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (compact && Math.abs(value) >= 10_000) return new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: value < 10 ? 2 : 0 }).format(value);
}

/** The `p`-th percentile (0..1) of `values` (nearest rank); NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
