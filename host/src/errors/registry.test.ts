/**
 * Holds the error registry to the code and the docs, as fastify does for its error codes: every
 * code is raised somewhere and documented in docs/errors.md with its status and blame, and the
 * docs name no code the registry lacks.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, blameOf, gatewayError } from './registry.js';

const SRC = join(import.meta.dirname, '..');
const DOCS = readFileSync(join(SRC, '../../docs/errors.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.includes('.test') ? [path] : [];
  });
}

describe('the error registry', () => {
  // The registry's own table names every code: only what comes after it counts as raising one.
  const code = sources(SRC)
    .map((file) => readFileSync(file, 'utf8'))
    .map((text) => text.replace(/export const ERROR_CODES = \{[\s\S]*?\n\} as const/, ''))
    .join('\n');

  it.each(Object.keys(ERROR_CODES))('%s is raised by the host', (name) => {
    expect(code).toMatch(new RegExp(`(gatewayError|super)\\('${name}'`));
  });

  it.each(Object.entries(ERROR_CODES))('%s is documented with its status and blame', (name, spec) => {
    const row = DOCS.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `docs/errors.md has no row for ${name}`).toBeDefined();
    const [, , status, blame] = row!.split('|').map((cell) => cell.trim());
    expect(blame).toBe(spec.blame);
    if (/^\d+$/.test(status!)) expect(Number(status)).toBe(spec.status);
  });

  it('documents no code the registry lacks', () => {
    const documented = [...DOCS.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('blames the upstream for anything that is not an error of the host', () => {
    expect(blameOf(new Error('ECONNRESET'))).toBe('upstream');
    expect(blameOf({ status: 503 })).toBe('upstream');
    expect(blameOf(gatewayError('invalid_body', 'x'))).toBe('request');
    expect(blameOf(gatewayError('unavailable', 'x'))).toBe('host');
  });
});
