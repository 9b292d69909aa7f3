/**
 * Durations in config: `500ms`, `2s`, `5m`, `1h`, `1d` or a plain number of seconds.
 *
 * @module
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses a duration into milliseconds, or returns undefined when it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const match = PATTERN.exec(trimmed);
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}
