import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { PluginCallError } from '@switchyard/plugin-sdk/transport';
import { fakeWorker, liveWorkers, recordingLogger, route, until } from './harness.test-suite.js';
import { defaultPluginItem, type PluginItem } from './item.js';
import { PluginSupervisor, type SupervisorOptions } from './supervisor.js';

const entryUrl = new URL('./fixtures/discovery/a-ok/index.js', import.meta.url);
const plugin = { id: 'fake', version: '1.0.0', path: fileURLToPath(new URL('.', entryUrl)), entry: entryUrl.href, protocolRange: '^1.0.0' };
const execute = { requestId: 'r1', model: 'fake-default', requestedModel: 'fake-default', stream: false, body: {}, headers: {} };

const created: PluginSupervisor[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((s) => s.close()));
});

function supervise(config: Record<string, unknown>, item: Partial<PluginItem> = {}, extra: Partial<SupervisorOptions> = {}) {
  const log = recordingLogger();
  const sup = new PluginSupervisor({
    plugin,
    item: { ...defaultPluginItem(), config, ...item },
    workerFilename: fakeWorker,
    logger: log.logger,
    timing: { callTimeout: 1_000, executorTimeout: 1_000, restartDelay: 60_000 },
    ...extra,
  });
  created.push(sup);
  return { sup, lines: log.lines };
}

async function failure(promise: Promise<unknown>): Promise<PluginCallError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PluginCallError);
  return err as PluginCallError;
}

describe('PluginSupervisor', () => {
  it('registers and becomes active with its capabilities; worker logs carry the plugin id', async () => {
    const { sup, lines } = supervise({ tag: 't1' });
    await sup.start();
    expect(sup.state).toBe('active');
    const executor = { provider: 'fake', format: 'openai', models: [{ id: 'fake-t1' }] };
    expect(sup.registration).toEqual({ id: 'fake', protocol: '1.0.0', capabilities: ['modelRouter', 'executor'], executor });
    expect(sup.protocol).toBe('1.0.0');
    expect(await sup.call('model.route', route)).toEqual({ handled: true, targetKind: 'model', target: 't1' });
    expect(sup.snapshot()).toEqual({
      id: 'fake',
      version: '1.0.0',
      path: plugin.path,
      priority: 0,
      threads: 1,
      capabilities: ['modelRouter', 'executor'],
      state: 'active',
      calls: 1,
      errors: 0,
      timeouts: 0,
      crashes: 0,
    });
    await until(() => lines.some((l) => l.msg === 'fake plugin registered'));
    expect(lines.find((l) => l.msg === 'fake plugin registered')).toMatchObject({ plugin: 'fake', level: 'info', tag: 't1', source: 'worker' });
  });

  it('counts a JSON-RPC error or an invalid result without fusing', async () => {
    const { sup } = supervise({ behaviour: 'throw' });
    await sup.start();
    const err = await failure(sup.call('model.route', route));
    expect(err).toMatchObject({ kind: 'error', code: ErrorCodes.handlerError, message: 'handler exploded', data: { hint: 'fake' } });
    await sup.reconfigure({ ...sup.item, config: { behaviour: 'invalid' } });
    expect(await failure(sup.call('model.route', route))).toMatchObject({ kind: 'invalid', code: ErrorCodes.invalidResult });
    expect(sup.snapshot()).toMatchObject({ state: 'active', calls: 2, errors: 2, crashes: 0 });
  });

  it('counts each event a stream.interceptBatch answer failed on, and an answer of the wrong length, as failed calls', async () => {
    const events: string[] = [];
    const observer = { pluginEvent: (_id: string, event: string) => events.push(event), pluginCall: () => {} };
    const { sup } = supervise({ capabilities: ['streamInterceptor'] }, {}, { observer });
    await sup.start();
    const batch = (n: number) => ({ requestId: 'r1', sourceFormat: 'openai' as const, index: 0, events: Array.from({ length: n }, (_, i) => ({ data: i })) });
    expect(await sup.call('stream.interceptBatch', batch(2))).toEqual([null, { error: 'bad event' }]);
    expect(sup.snapshot()).toMatchObject({ state: 'active', calls: 1, errors: 1 });
    const err = await failure(sup.call('stream.interceptBatch', batch(3)));
    expect(err).toMatchObject({ kind: 'invalid', code: ErrorCodes.invalidResult, message: 'invalid stream.interceptBatch result: 2 answers for 3 events' });
    expect(sup.snapshot()).toMatchObject({ state: 'active', calls: 2, errors: 2 });
    expect(events).toEqual(['calls', 'errors', 'calls', 'errors']);
  });

  it('fuses a call past its deadline and destroys the pool', async () => {
    const { sup, lines } = supervise({ behaviour: 'hang' }, { callTimeout: 300 });
    const before = liveWorkers();
    await sup.start();
    expect(liveWorkers()).toBe(before + 1);
    const err = await failure(sup.call('model.route', route));
    expect(err).toMatchObject({ kind: 'timeout', message: 'deadline exceeded (300ms) in model.route' });
    const snap = sup.snapshot();
    expect(snap).toMatchObject({ state: 'fused', reason: 'deadline exceeded (300ms) in model.route', timeouts: 1 });
    expect(Date.parse(snap.nextRestartAt!) - Date.parse(snap.fusedAt!)).toBe(60_000);
    await until(() => liveWorkers() === before, 2_000, 'the spinning worker to be terminated');
    expect(await failure(sup.call('model.route', route))).toMatchObject({ kind: 'unavailable' });
    expect(lines.find((l) => l.msg === 'plugin fused')).toMatchObject({ plugin: 'fake', level: 'error', reason: snap.reason });
  });

  it.each([
    ['exit', {}, 'worker exited with code: 3'],
    ['oom', { heapMb: 32 }, 'ERR_WORKER_OUT_OF_MEMORY'],
  ])('fuses a worker that dies in a call (%s)', async (behaviour, item, reason) => {
    const { sup } = supervise({ behaviour }, item);
    await sup.start();
    const err = await failure(sup.call('model.route', route));
    expect(err.kind).toBe('crash');
    expect(err.message).toContain(reason);
    expect(sup.snapshot()).toMatchObject({ state: 'fused', crashes: 1 });
    expect(sup.snapshot().reason).toContain(reason);
  });

  it.each([
    ['crash-idle', 'idle crash'],
    ['reject-later', 'late rejection'],
    ['exit-idle', 'a worker exited while idle'],
  ])('fuses a worker that dies while idle (%s)', async (behaviour, reason) => {
    const { sup } = supervise({ behaviour, delayMs: 50 });
    await sup.start();
    await until(() => sup.state === 'fused');
    expect(sup.snapshot()).toMatchObject({ reason, crashes: 1 });
  });

  it('fuses a plugin whose setup throws', async () => {
    const { sup } = supervise({ behaviour: 'setup-throws' });
    await sup.start();
    expect(sup.snapshot()).toMatchObject({ state: 'fused', reason: 'start failed: setup failed: boom' });
  });

  it('rejects a plugin that refuses the host protocol', async () => {
    const { sup } = supervise({ behaviour: 'protocol-mismatch' });
    await sup.start();
    expect(sup.snapshot()).toMatchObject({ state: 'rejected', reason: `host protocol ${PROTOCOL_VERSION} is not supported` });
  });

  it('fuses a plugin that fails its idle health check', async () => {
    const { sup } = supervise({ behaviour: 'ping-hang' }, {}, { pingInterval: 100, pingTimeout: 200 });
    await sup.start();
    await until(() => sup.state === 'fused');
    expect(sup.snapshot()).toMatchObject({ reason: 'deadline exceeded (200ms) in $/ping', timeouts: 1 });
  });

  it('restarts after restartDelay, doubling; stays fused after 3 fuses until reset()', async () => {
    const { sup } = supervise({ behaviour: 'exit' }, {}, { timing: { callTimeout: 1_000, executorTimeout: 1_000, restartDelay: 200 } });
    await sup.start();
    const delays: Array<number | undefined> = [];
    for (let i = 0; i < 3; i++) {
      await until(() => sup.state === 'active', 3_000, `restart ${i}`);
      await failure(sup.call('model.route', route));
      const snap = sup.snapshot();
      delays.push(snap.nextRestartAt === undefined ? undefined : Date.parse(snap.nextRestartAt) - Date.parse(snap.fusedAt!));
    }
    expect(delays).toEqual([200, 400, undefined]);
    await sleep(500);
    expect(sup.state).toBe('fused');
    await sup.reset();
    expect(sup.state).toBe('active');
    await failure(sup.call('model.route', route));
    expect(Date.parse(sup.snapshot().nextRestartAt!) - Date.parse(sup.snapshot().fusedAt!)).toBe(200);
  });

  it('reconfigure swaps in a new generation while a slow call on the old one completes', async () => {
    const changes: string[] = [];
    const { sup } = supervise({ behaviour: 'slow', delayMs: 600, tag: 'v1' }, {}, { onStateChange: (s) => changes.push(s.state) });
    await sup.start();
    const before = liveWorkers();
    const slow = sup.call('model.route', route);
    await sleep(50);
    await sup.reconfigure({ ...sup.item, config: { tag: 'v2' } });
    expect(liveWorkers()).toBe(before + 1);
    expect(await sup.call('model.route', route)).toMatchObject({ target: 'v2' });
    expect(await slow).toMatchObject({ target: 'v1' });
    await until(() => liveWorkers() === before, 3_000, 'the old generation to drain');
    expect(sup.registration?.executor?.models).toEqual([{ id: 'fake-v2' }]);
    expect(changes).toEqual(['starting', 'active', 'active']);
  });

  it('applies a priority change in place', async () => {
    const { sup } = supervise({});
    await sup.start();
    const before = liveWorkers();
    await sup.reconfigure({ ...sup.item, priority: 7 });
    expect(liveWorkers()).toBe(before);
    expect(sup.snapshot()).toMatchObject({ state: 'active', priority: 7 });
  });

  it('routes stream chunks to onChunk, in order, before the result', async () => {
    const { sup } = supervise({ behaviour: 'stream' });
    await sup.start();
    const chunks: unknown[] = [];
    expect(await sup.call('executor.stream', execute, { onChunk: (e) => chunks.push(e) })).toEqual({});
    expect(chunks).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('answers host.executeModel requests over the port, errors as JSON-RPC errors', async () => {
    const { sup } = supervise({ behaviour: 'callback' });
    await sup.start();
    const seen: unknown[] = [];
    const ok = await sup.call('executor.execute', execute, {
      onHostRequest: async (method, params) => {
        seen.push([method, params]);
        return { status: 200, headers: {}, body: 'nested answer' };
      },
    });
    expect(seen).toEqual([['host.executeModel', { format: 'openai', body: { model: 'inner' }, stream: false }]]);
    expect(ok.body).toEqual({ jsonrpc: '2.0', id: 'nested-1', result: { status: 200, headers: {}, body: 'nested answer' } });
    const failed = await sup.call('executor.execute', execute, { onHostRequest: () => Promise.reject(new Error('no route for inner')) });
    expect(failed.body).toEqual({ jsonrpc: '2.0', id: 'nested-1', error: { code: -32603, message: 'no route for inner' } });
    const refused = await sup.call('executor.execute', execute);
    expect(refused.body).toMatchObject({ error: { code: -32601 } });
  });

  it('forwards $/cancel when the signal aborts', async () => {
    const { sup } = supervise({ behaviour: 'cancel' });
    await sup.start();
    const err = await failure(sup.call('executor.execute', execute, { signal: AbortSignal.timeout(50) }));
    expect(err).toMatchObject({ kind: 'error', code: ErrorCodes.cancelled });
    expect(await failure(sup.call('executor.execute', execute, { signal: AbortSignal.abort() }))).toMatchObject({ code: ErrorCodes.cancelled });
    expect(sup.snapshot()).toMatchObject({ state: 'active', errors: 0 });
  });

  it('gives the worker only the environment variables its item names', async () => {
    process.env.SY_TEST_VISIBLE = 'yes';
    process.env.SY_TEST_HIDDEN = 'no';
    const { sup } = supervise({ behaviour: 'env' }, { env: ['SY_TEST_VISIBLE', 'SY_TEST_UNSET'] });
    await sup.start();
    expect((await sup.call('executor.execute', execute)).body).toEqual({ SY_TEST_VISIBLE: 'yes' });
  });
});
