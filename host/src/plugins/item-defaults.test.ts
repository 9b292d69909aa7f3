import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverPlugins } from './discovery.js';
import { defaultPluginItem, resolveItem } from './item.js';

async function pluginFolder(switchyard: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-defaults-'));
  await mkdir(join(dir, 'p'));
  await writeFile(join(dir, 'p', 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', main: 'index.js', switchyard: { protocol: '^1.0.0', ...switchyard } }));
  await writeFile(join(dir, 'p', 'index.js'), 'export default {};\n');
  return dir;
}

describe('config item resolution', () => {
  it('layers the config item over the package defaults over the built-in ones', () => {
    const item = resolveItem({ failClosed: true, enabled: false, priority: 5 }, { enabled: true, threads: 2, config: { a: 1 } });
    expect(item).toEqual({ ...defaultPluginItem(), failClosed: true, enabled: true, priority: 5, threads: 2, config: { a: 1 } });
    expect(resolveItem(undefined, undefined)).toEqual(defaultPluginItem());
  });

  it('loads an opt-in plugin once the config gives it an item, unless the item disables it', () => {
    expect(resolveItem({ enabled: false }, undefined).enabled).toBe(false);
    expect(resolveItem({ enabled: false }, { config: { x: 1 } }).enabled).toBe(true);
    expect(resolveItem({ enabled: false }, { enabled: false }).enabled).toBe(false);
  });

  it('reads switchyard.defaults from the package', async () => {
    const { plugins } = await discoverPlugins(await pluginFolder({ defaults: { failClosed: true, enabled: false } }));
    expect(plugins[0]).toMatchObject({ id: 'p', defaults: { failClosed: true, enabled: false } });
    expect(plugins[0]!.rejected).toBeUndefined();
  });

  it('rejects a package whose defaults are invalid, naming the key', async () => {
    const { plugins } = await discoverPlugins(await pluginFolder({ defaults: { threads: 'many' } }));
    expect(plugins[0]!.rejected).toMatch(/^switchyard\.defaults\.threads: /);
  });
});
