/**
 * Reading CLIProxyAPI's scalar values the way its Go code does: durations, names, off values.
 *
 * @module
 */
import { join } from 'node:path';

/** A proxy URL; CLIProxyAPI's `none` is Switchyard's `direct`. */
export function proxyOf(value: unknown): string | undefined {
  const proxy = text(value);
  if (proxy === undefined) return undefined;
  return /^(direct|none)$/i.test(proxy) ? 'direct' : proxy;
}

/** A provider key from an openai-compatibility name, lower-cased as CLIProxyAPI does. */
export function providerName(name: unknown): string {
  const cleaned = (text(name) ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  // CLIProxyAPI's own name for an unnamed one.
  return cleaned === '' ? 'openai-compatibility' : cleaned;
}

/** `~` and `~/x` expand to the home folder, as CLIProxyAPI does. */
export function expandHome(path: string, home: string): string {
  if (!path.startsWith('~')) return path;
  const rest = path.slice(1).replace(/^[/\\]+/, '');
  return rest === '' ? home : join(home, rest);
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go `time.ParseDuration` string (`90s`, `1h30m`, `1.5h`) in milliseconds, or undefined. */
export function goDurationMs(value: string): number | undefined {
  const s = value.trim();
  if (!/^[+-]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(s)) return s === '0' ? 0 : undefined;
  let total = 0;
  for (const [, n, unit] of s.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(n) * GO_UNITS[unit!]!;
  return s.startsWith('-') ? -total : total;
}

/** Milliseconds as a Switchyard duration in the largest whole unit. */
export function formatDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}ms`;
}

/**
 * Whether a setting is at its off value, where Switchyard behaves the same without it: false, 0,
 * empty, a block with `enable: false` / `enabled: false`, or a block of such values.
 */
export function isOff(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return value.enable === false || value.enabled === false || Object.values(value).every(isOff);
  return false;
}

/** A non-empty trimmed scalar as text (YAML numbers included, as Go reads them into strings). */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
