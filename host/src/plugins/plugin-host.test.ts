import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { fakeWorker, recordingLogger, route, until } from './harness.test-suite.js';
import { defaultPluginItem, type PluginItem } from './item.js';
import { PluginHost, type PluginsConfig } from './plugin-host.js';


let dir: string;
let host: PluginHost;
let changes: number;
let lines: ReturnType<typeof recordingLogger>['lines'];

/** Writes a plugin folder whose entry steers the fake worker. */
async function writePlugin(folder: string, definition: Record<string, unknown>, switchyard: Record<string, string> = {}): Promise<void> {
  await mkdir(join(dir, folder), { recursive: true });
  const pkg = { name: folder, version: '1.0.0', type: 'module', switchyard: { protocol: '^1.0.0', ...switchyard } };
  await writeFile(join(dir, folder, 'package.json'), JSON.stringify(pkg));
  await writeFile(join(dir, folder, 'index.js'), `export default ${JSON.stringify(definition)};\n`);
}

function config(items: Record<string, Partial<PluginItem>> = {}): PluginsConfig {
  const full = Object.fromEntries(Object.entries(items).map(([id, item]) => [id, { ...defaultPluginItem(), ...item }]));
  return { enabled: true, dir, callTimeout: 1_000, executorTimeout: 1_000, restartDelay: 60_000, items: full };
}

const ids = (list: readonly { id: string }[]) => list.map((s) => s.id);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-plugins-'));
  changes = 0;
  const log = recordingLogger();
  lines = log.lines;
  host = new PluginHost({ workerFilename: fakeWorker, logger: log.logger, onChange: () => changes++, watchDebounceMs: 100 });
  await writePlugin('alpha', { capabilities: ['modelRouter'], tag: 'a1' });
  await writePlugin('beta', { capabilities: ['modelRouter', 'executor'], tag: 'b1' });
  await writePlugin('gamma', { capabilities: ['scheduler'] });
  await writePlugin('delta', {}, { protocol: '^2.0.0' });
  await writePlugin('zeta', {}, { id: 'alpha' });
  await mkdir(join(dir, 'not-a-plugin'));
});

afterEach(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

describe('PluginHost', () => {
  it('loads the dir: active, disabled and rejected plugins listed by id, dispatch lists by priority', async () => {
    await host.load(config({ alpha: { priority: 1 }, beta: { priority: 5 }, gamma: { enabled: false } }));
    expect(host.list().map((s) => [s.id, s.state])).toEqual([
      ['alpha', 'active'],
      ['beta', 'active'],
      ['delta', 'rejected'],
      ['gamma', 'disabled'],
    ]);
    expect(host.list().find((s) => s.id === 'delta')?.reason).toContain(`"^2.0.0" does not accept the host protocol version ${PROTOCOL_VERSION}`);
    expect(ids(host.active('modelRouter'))).toEqual(['beta', 'alpha']);
    expect(ids(host.active('executor'))).toEqual(['beta']);
    expect(host.active('modelRouter')).toBe(host.active('modelRouter'));
    expect(changes).toBeGreaterThan(0);
    expect(lines.find((l) => l.msg === 'plugin folder skipped')).toMatchObject({ reason: 'no package.json' });
    expect(lines.filter((l) => l.msg === 'plugin rejected').map((l) => l.plugin)).toEqual(['delta', 'alpha']);
    expect(lines.find((l) => l.msg === 'plugin rejected' && l.plugin === 'alpha')?.reason).toMatch(/duplicate plugin id "alpha"/);
    expect(host.get('alpha')?.plugin.path).toBe(join(dir, 'alpha'));
  });

  it('applies config changes: priority in place, disable, enable', async () => {
    await host.load(config({ alpha: { priority: 1 }, beta: { priority: 5 }, gamma: { enabled: false } }));
    const before = changes;
    await host.apply(config({ alpha: { priority: 10 }, beta: { enabled: false } }));
    expect(changes).toBeGreaterThan(before);
    expect(ids(host.active('modelRouter'))).toEqual(['alpha']);
    expect(host.active('executor')).toEqual([]);
    expect(host.get('beta')?.state).toBe('disabled');
    // gamma lost its item, so it runs with the defaults: enabled.
    expect(ids(host.active('scheduler'))).toEqual(['gamma']);
    await host.apply({ ...config(), enabled: false });
    expect(host.list()).toEqual([]);
  });

  it('reset(id) restarts a fused plugin; unknown ids answer undefined', async () => {
    await writePlugin('epsilon', { capabilities: ['modelRouter'], behaviour: 'exit' });
    await host.load(config());
    const eps = host.get('epsilon')!;
    await eps.call('model.route', route).catch(() => undefined);
    expect(eps.state).toBe('fused');
    expect(ids(host.active('modelRouter'))).toEqual(['alpha', 'beta']);
    expect(await host.reset('epsilon')).toMatchObject({ state: 'active' });
    expect(ids(host.active('modelRouter'))).toEqual(['alpha', 'beta', 'epsilon']);
    expect(await host.reset('nope')).toBeUndefined();
  });

  it('serves host.executeModel with the host-level handler, naming the calling plugin', async () => {
    await host.close();
    const seen: unknown[] = [];
    host = new PluginHost({
      workerFilename: fakeWorker,
      logger: recordingLogger().logger,
      onHostRequest: async (pluginId, method) => {
        seen.push([pluginId, method]);
        return { status: 200, headers: {}, body: 'nested' };
      },
    });
    await writePlugin('caller', { capabilities: ['executor'], behaviour: 'callback' });
    await host.load(config());
    const execute = { requestId: 'r1', model: 'm', requestedModel: 'm', stream: false, body: {}, headers: {} };
    expect(await host.get('caller')!.call('executor.execute', execute)).toMatchObject({ body: { result: { body: 'nested' } } });
    expect(seen).toEqual([['caller', 'host.executeModel']]);
  });

  it('watches the dir: adds, reloads (in-flight calls complete) and removes plugins', async () => {
    await writePlugin('slow', { capabilities: ['modelRouter'], behaviour: 'slow', delayMs: 800, tag: 's1' });
    await host.load(config());
    host.watch();

    await writePlugin('added', { capabilities: ['modelRouter'] });
    await until(() => host.get('added')?.state === 'active', 5_000, 'the added plugin');

    const inFlight = host.get('slow')!.call('model.route', route);
    await writePlugin('slow', { capabilities: ['modelRouter'], behaviour: 'slow', delayMs: 10, tag: 's2' });
    await until(() => lines.some((l) => l.msg === 'plugin reloaded' && l.plugin === 'slow'), 5_000, 'the reload');
    expect(await host.get('slow')!.call('model.route', route)).toMatchObject({ target: 's2' });
    expect(await inFlight).toMatchObject({ target: 's1' });

    await rm(join(dir, 'beta'), { recursive: true });
    await until(() => host.get('beta') === undefined, 5_000, 'the removal');
    expect(ids(host.active('modelRouter'))).toEqual(['added', 'alpha', 'slow']);
  });

  it('a change of its files restarts a fused plugin', async () => {
    await writePlugin('broken', { behaviour: 'setup-throws' });
    await host.load(config());
    host.watch();
    expect(host.get('broken')?.snapshot()).toMatchObject({ state: 'fused', reason: 'start failed: setup failed: boom' });
    await writePlugin('broken', { capabilities: ['modelRouter'] });
    await until(() => host.get('broken')?.state === 'active', 5_000, 'the fixed plugin');
  });
});
