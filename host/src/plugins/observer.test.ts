/**
 * What a supervisor tells its {@link PluginObserver} (the metrics' source), and how a full call
 * queue surfaces: as a failed call (`unavailable`, counted as refused), never as a fuse.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginCallError } from '@switchyard/plugin-sdk/transport';
import { fakeWorker, recordingLogger } from './harness.test-suite.js';
import type { PluginEvent, PluginObserver } from './observer.js';
import { defaultPluginItem } from './item.js';
import { PluginSupervisor } from './supervisor.js';

const entryUrl = new URL('./fixtures/discovery/a-ok/index.js', import.meta.url);
const plugin = { id: 'fake', version: '1.0.0', path: fileURLToPath(new URL('.', entryUrl)), entry: entryUrl.href, protocolRange: '^1.0.0' };
const route = { requestId: 'r1', sourceFormat: 'openai' as const, requestedModel: 'm', stream: false, headers: {}, query: {}, body: {}, availableProviders: [] };

const created: PluginSupervisor[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((s) => s.close()));
});

function observed(config: Record<string, unknown>, callTimeout = 1_000) {
  const events: PluginEvent[] = [];
  const calls: { method: string; seconds: number }[] = [];
  const observer: PluginObserver = {
    pluginEvent: (id, event) => id === 'fake' && events.push(event),
    pluginCall: (id, method, seconds) => id === 'fake' && calls.push({ method, seconds }),
  };
  const sup = new PluginSupervisor({
    plugin,
    item: { ...defaultPluginItem(), config },
    workerFilename: fakeWorker,
    logger: recordingLogger().logger,
    timing: { callTimeout, executorTimeout: callTimeout, restartDelay: 60_000 },
    observer,
  });
  created.push(sup);
  return { sup, events, calls };
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err as PluginCallError);

describe('PluginSupervisor observer', () => {
  it('reports calls with their duration, errors, and a timeout with its fuse', async () => {
    const ok = observed({});
    await ok.sup.start();
    await ok.sup.call('model.route', route);
    // plugin.register goes straight to the generation: only calls through call() are reported.
    expect(ok.events).toEqual(['calls']);
    expect(ok.calls).toEqual([{ method: 'model.route', seconds: expect.any(Number) }]);

    const throwing = observed({ behaviour: 'throw' });
    await throwing.sup.start();
    expect(await failure(throwing.sup.call('model.route', route))).toMatchObject({ kind: 'error' });
    expect(throwing.events).toEqual(['calls', 'errors']);
    expect(throwing.calls).toHaveLength(1);

    const hanging = observed({ behaviour: 'hang' }, 200);
    await hanging.sup.start();
    expect(await failure(hanging.sup.call('model.route', route))).toMatchObject({ kind: 'timeout' });
    expect(hanging.events).toEqual(['calls', 'timeouts', 'fuses']);
    expect(await failure(hanging.sup.call('model.route', route))).toMatchObject({ kind: 'unavailable' });
    expect(hanging.events.at(-1)).toBe('refused');
  });

  it('refuses a call when the queue is full: a failed call, not a fuse', async () => {
    const { sup, events } = observed({ behaviour: 'slow', delayMs: 10_000 }, 60_000);
    await sup.start();
    const errors: PluginCallError[] = [];
    let made = 0;
    // Batches, with a turn of the event loop between them, until the pool's queue is full; the
    // calls still pending fail when the supervisor is closed after the test.
    while (!events.includes('refused') && made < 5_000) {
      for (let i = 0; i < 32; i++, made++) sup.call('model.route', route).catch((err: PluginCallError) => errors.push(err));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
    const refused = errors.find((err) => err.kind === 'unavailable');
    expect(refused).toBeInstanceOf(PluginCallError);
    expect(refused).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/too many calls queued/) });
    expect(sup.state).toBe('active');
    expect(sup.snapshot()).toMatchObject({ state: 'active', timeouts: 0, crashes: 0, errors: 0 });
    expect(errors.every((err) => err.kind === 'unavailable')).toBe(true);
    expect(events).toContain('refused');
    expect(events).not.toContain('fuses');
  });
});
