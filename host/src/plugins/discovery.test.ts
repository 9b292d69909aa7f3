import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { discoverPlugins, protocolRangeProblem, type Discovery } from './discovery.js';

const dir = fileURLToPath(new URL('./fixtures/discovery', import.meta.url));

describe('protocolRangeProblem', () => {
  it.each(['^1.0.0', '~1.2', '1.x', '>=1.0.0 <2.0.0', '1.2.0', '^1.0.0-beta'])('accepts %s', (range) => {
    expect(protocolRangeProblem(range, '1.2.0')).toBeUndefined();
  });

  it.each(['*', '>=1', '1 || 2', '<2.0.0', '>=1.0.0 <=2.0.0'])('rejects the unpinned major %s', (range) => {
    expect(protocolRangeProblem(range, '1.2.0')).toMatch(/must pin a single major/);
  });

  it('rejects a missing or invalid range', () => {
    expect(protocolRangeProblem(undefined)).toMatch(/required/);
    expect(protocolRangeProblem('not a range')).toMatch(/not a valid semver range/);
  });

  it('names the range and the host version when the host is not accepted', () => {
    expect(protocolRangeProblem('~1.3', '1.2.0')).toBe('switchyard.protocol "~1.3" does not accept the host protocol version 1.2.0');
  });
});

describe('discoverPlugins', () => {
  let found: Discovery;
  beforeAll(async () => {
    found = await discoverPlugins(dir);
  });
  const byFolder = (name: string) => found.plugins.find((p) => p.path === join(dir, name));

  it('finds a plugin with its id from the unscoped package name', () => {
    expect(byFolder('a-ok')).toEqual({
      id: 'alpha',
      version: '1.2.3',
      path: join(dir, 'a-ok'),
      entry: pathToFileURL(join(dir, 'a-ok', 'index.js')).href,
      protocolRange: '^1.0.0',
    });
  });

  it('takes switchyard.id and main', () => {
    expect(byFolder('f-custom-main')).toMatchObject({ id: 'custom', entry: pathToFileURL(join(dir, 'f-custom-main/lib/main.js')).href });
    expect(byFolder('f-custom-main')?.rejected).toBeUndefined();
  });

  it('skips folders that are not plugin packages, with the reason, and hidden folders silently', () => {
    expect(found.skipped).toEqual([
      { path: join(dir, 'b-no-field'), reason: 'package.json has no "switchyard" field' },
      { path: join(dir, 'g-no-package'), reason: 'no package.json' },
    ]);
    expect(found.plugins.map((p) => p.path)).not.toContain(join(dir, '.hidden'));
  });

  it('rejects a range the host version does not satisfy, naming both', () => {
    expect(byFolder('c-bad-range')?.rejected).toBe(`switchyard.protocol "^2.0.0" does not accept the host protocol version ${PROTOCOL_VERSION}`);
  });

  it('rejects an unpinned major', () => {
    expect(byFolder('d-unpinned')?.rejected).toMatch(/">=1" must pin a single major/);
  });

  it('rejects the later folder of a duplicate id', () => {
    expect(byFolder('a-ok')?.rejected).toBeUndefined();
    expect(byFolder('e-duplicate')).toMatchObject({ id: 'alpha', rejected: `duplicate plugin id "alpha" (already provided by ${join(dir, 'a-ok')})` });
  });

  it('rejects a missing entry module', () => {
    expect(byFolder('h-missing-entry')?.rejected).toMatch(/entry module .*index\.js not found/);
  });

  it('throws when the dir itself cannot be read', async () => {
    await expect(discoverPlugins(join(dir, 'nope'))).rejects.toThrow(/ENOENT/);
  });
});
