/**
 * Every example config in examples/configs/ loads with the real config loader (the schema
 * rejects unknown keys), and what it names is there: each virtual model candidate is a model,
 * alias or provider/model the same file defines, and each plugin item names a bundled plugin or
 * an example plugin project.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../host/src/config/load.js';
import type { Config } from '../../host/src/config/schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIGS = join(ROOT, 'examples/configs');
const FILES = readdirSync(CONFIGS).filter((f) => /\.ya?ml$/.test(f)).sort();

/** Plugin ids found in `dir`'s package folders (`switchyard.id`, else the unscoped package name). */
function pluginIds(dir: string): string[] {
  const ids: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      const pkg = JSON.parse(readFileSync(join(dir, entry.name, 'package.json'), 'utf8'));
      if (pkg.switchyard) ids.push(pkg.switchyard.id ?? String(pkg.name).replace(/^@[^/]+\//, ''));
    } catch {
      // not a package folder
    }
  }
  return ids;
}

/** Whether `name` resolves to something in `config`: a listed model or alias, or provider/model. */
function resolves(config: Config, name: string): boolean {
  for (const p of config.providers) {
    const names = (p.models ?? []).map((m) => (typeof m === 'string' ? m : (m.alias ?? m.name)));
    if (names.includes(name)) return true;
    if (name.startsWith(`${p.name}/`)) {
      const rest = name.slice(p.name.length + 1);
      // A provider without `models` lists its models from the upstream: any name may exist.
      const upstream = (p.models ?? []).map((m) => (typeof m === 'string' ? m : m.name));
      if (p.models === undefined || upstream.includes(rest) || names.includes(rest)) return true;
    }
  }
  return false;
}

describe('examples/configs', () => {
  it('holds the documented examples', () => {
    expect(FILES).toEqual(expect.arrayContaining(['multi-key-failover.yaml', 'multi-provider.yaml', 'plugins.yaml', 'session-affinity.yaml', 'virtual-models.yaml']));
  });

  it.each(FILES)('%s loads without an error', (file) => {
    const { config } = loadConfig({ file: join(CONFIGS, file), env: {} });
    expect(config.providers.length).toBeGreaterThan(0);
  });

  it.each(FILES)('%s: every virtual model candidate resolves in the same file', (file) => {
    const { config } = loadConfig({ file: join(CONFIGS, file), env: {} });
    for (const [name, chain] of Object.entries(config.models)) {
      for (const candidate of [chain.primary, ...chain.fallbacks]) {
        expect(resolves(config, candidate), `${file}: models.${name}: ${candidate}`).toBe(true);
      }
    }
  });

  it('plugins.yaml configures only plugins that exist (bundled or example projects)', () => {
    const { config } = loadConfig({ file: join(CONFIGS, 'plugins.yaml'), env: {} });
    expect(config.plugins.dir).toBe(join(CONFIGS, 'plugins'));
    const known = [...pluginIds(join(ROOT, 'plugins')), ...pluginIds(join(ROOT, 'examples'))];
    expect(Object.keys(config.plugins.items).length).toBeGreaterThan(0);
    for (const id of Object.keys(config.plugins.items)) expect(known, id).toContain(id);
  });

  it('settings read as the comments say', () => {
    const load = (file: string) => loadConfig({ file: join(CONFIGS, file), env: {} }).config;
    const failover = load('multi-key-failover.yaml');
    expect(failover.retry).toEqual({ requestRetry: 2, maxRetryCredentials: 0, maxRetryInterval: 20_000 });
    expect(failover.cooldown.transientSeconds).toBe(30);
    expect(failover.providers.map((p) => [p.name, p.priority, p.apiKeys.length])).toEqual([
      ['openai', 10, 3],
      ['openai-backup', 0, 1],
      ['anthropic', 0, 2],
    ]);
    const affinity = load('session-affinity.yaml');
    expect(affinity.routing).toEqual({ timeout: 600_000, strategy: 'weighted', sessionAffinity: true, sessionAffinityTtl: 2 * 3_600_000 });
    const plugins = load('plugins.yaml').plugins;
    expect(plugins.items['web-search-router']).toMatchObject({ env: ['TAVILY_API_KEY'] });
    expect(plugins.items['header-router']!.callTimeout).toBe(500);
  });
});
