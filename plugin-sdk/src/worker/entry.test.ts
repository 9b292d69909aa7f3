import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PROTOCOL_VERSION } from '../protocol.js';
import { buildSdk, call, destroyPools, errorOf, executorRequest, resultOf, routeRequest, startPool, waitFor, type TestPool } from './harness.test-suite.js';

let basic: TestPool;
let minimal: TestPool;
let mixed: TestPool;

beforeAll(() => {
  buildSdk();
  basic = startPool('basic.mjs', { config: { target: 'gpt-x' }, env: { ONLY_THIS: 'yes' } });
  minimal = startPool('minimal.mjs');
  mixed = startPool('mixed-stream.mjs');
});
afterAll(destroyPools);

const route = (pool: TestPool, model: string) => call(pool.pool, 'model.route', routeRequest(model));

describe('plugin.register', () => {
  it('answers id, protocol, capabilities, interceptor phase and executor metadata', async () => {
    expect(resultOf(await call(basic.pool, 'plugin.register', { protocol: PROTOCOL_VERSION, pluginId: 'basic' }))).toEqual({
      id: 'basic',
      protocol: PROTOCOL_VERSION,
      capabilities: ['modelRouter', 'requestInterceptor', 'responseInterceptor', 'streamInterceptor', 'scheduler', 'executor'],
      interceptorPhase: 'afterAuth',
      executor: { provider: 'echo', format: 'openai', models: [{ id: 'echo-1', displayName: 'Echo' }] },
    });
    expect(resultOf(await call(minimal.pool, 'plugin.register', { protocol: '1.4.0', pluginId: 'minimal' }))).toEqual({
      id: 'minimal',
      protocol: PROTOCOL_VERSION,
      capabilities: ['executor'],
      executor: { provider: 'plain', format: 'anthropic', models: [{ id: 'p' }] },
    });
  });

  it('answers protocolMismatch to a host of another major version', async () => {
    const error = errorOf(await call(basic.pool, 'plugin.register', { protocol: '2.0.0', pluginId: 'basic' }));
    expect(error.code).toBe(ErrorCodes.protocolMismatch);
    expect(error.data).toEqual({ host: '2.0.0', sdk: PROTOCOL_VERSION });
  });

  it('answers $/ping and plugin.shutdown (running the shutdown hook)', async () => {
    expect(resultOf(await call(basic.pool, '$/ping'))).toBe('pong');
    expect(resultOf(await call(basic.pool, 'plugin.shutdown'))).toBeNull();
    await waitFor(() => basic.logs.some((log) => log.level === 'warn' && log.message === 'shutting down'));
  });
});

describe('capability calls', () => {
  it('validates params (-32602) and results (invalidResult)', async () => {
    expect(errorOf(await call(basic.pool, 'model.route', { requestedModel: 'count' })).code).toBe(-32602);
    const invalid = errorOf(await route(basic, 'bad-kind'));
    expect(invalid.code).toBe(ErrorCodes.invalidResult);
    expect(invalid.message).toContain('at targetKind: Invalid option');
    // A router answering nothing is answered as null, which is not a route result.
    expect(errorOf(await route(basic, 'nothing')).code).toBe(ErrorCodes.invalidResult);
  });

  it('answers handlerError when a handler throws, and the worker keeps its state', async () => {
    const before = Number((resultOf(await route(basic, 'count')) as { target: string }).target);
    const error = errorOf(await route(basic, 'throw'));
    expect(error).toMatchObject({ code: ErrorCodes.handlerError, message: 'router exploded' });
    expect(resultOf(await route(basic, 'count'))).toMatchObject({ target: String(before + 1) });
  });

  it('answers capabilityMissing for a capability the plugin does not define', async () => {
    expect(errorOf(await route(minimal, 'x')).code).toBe(ErrorCodes.capabilityMissing);
    expect(errorOf(await call(minimal.pool, 'executor.stream', executorRequest('p', true))).code).toBe(ErrorCodes.capabilityMissing);
    const batch = { requestId: 'r', sourceFormat: 'openai', index: 0, events: [{ data: {} }] };
    expect(errorOf(await call(minimal.pool, 'stream.interceptBatch', batch)).code).toBe(ErrorCodes.capabilityMissing);
  });

  it('answers each event of a batch in order, whether its handler answered at once, later or failed either way', async () => {
    const data = ['sync:a', 'throw', 'later:b', 'sync:c', 'reject', 'sync:d'];
    const batch = { requestId: 'r', sourceFormat: 'openai', index: 10, events: data.map((d) => ({ data: d })) };
    expect(resultOf(await call(mixed.pool, 'stream.interceptBatch', batch))).toEqual([
      { event: { data: 'a#10' } },
      { error: 'threw at 11' },
      { event: { data: 'b#12' } },
      { event: { data: 'c#13' } },
      { error: 'rejected at 14' },
      { event: { data: 'd#15' } },
    ]);
    const allSync = { ...batch, events: [{ data: 'sync:e' }, { data: 'throw' }, { data: 'getter' }, { data: 'sync:f' }] };
    expect(resultOf(await call(mixed.pool, 'stream.interceptBatch', allSync))).toEqual([
      { event: { data: 'e#10' } },
      { error: 'threw at 11' },
      { error: 'unreadable at 12' },
      { event: { data: 'f#13' } },
    ]);
  });

  it('serves interceptors and the scheduler, answering undefined as null', async () => {
    const intercept = { requestId: 'r', phase: 'afterAuth', sourceFormat: 'openai', model: 'm', requestedModel: 'm', stream: false, headers: {}, body: {} };
    expect(resultOf(await call(basic.pool, 'request.intercept', intercept))).toBeNull();
    const response = { requestId: 'r', sourceFormat: 'openai', model: 'm', provider: 'p', status: 200, headers: {}, body: {} };
    expect(resultOf(await call(basic.pool, 'response.intercept', response))).toEqual({ headers: { 'x-seen': '1' } });
    const candidate = { id: 'c1', provider: 'p', label: 'one', priority: 0, weight: 1, status: 'active', inFlight: 0, successes: 0, failures: 0 };
    expect(resultOf(await call(basic.pool, 'scheduler.pick', { provider: 'p', model: 'm', candidates: [candidate] }))).toEqual({ credentialId: 'c1' });
  });

  it('refuses an interceptor answer with unknown keys, so a malformed reject never passes as "no change"', async () => {
    const intercept = { requestId: 'r', phase: 'beforeAuth', sourceFormat: 'openai', model: 'm', requestedModel: 'm', stream: false, headers: {}, body: { malformed: true } };
    expect(errorOf(await call(basic.pool, 'request.intercept', intercept)).code).toBe(ErrorCodes.invalidResult);
  });

  it('runs the executor, mapping a thrown status to upstreamStatus', async () => {
    expect(resultOf(await call(basic.pool, 'executor.execute', executorRequest('echo-1')))).toEqual({ status: 200, body: { echoed: { q: 1 } } });
    const slow = errorOf(await call(basic.pool, 'executor.execute', executorRequest('slow')));
    expect(slow).toEqual({ code: ErrorCodes.upstreamStatus, message: 'slow', data: { status: 429, retryAfterMs: 1000, message: 'slow' } });
    const plain = errorOf(await call(basic.pool, 'executor.execute', executorRequest('plain-status')));
    expect(plain).toEqual({ code: ErrorCodes.upstreamStatus, message: 'upstream status 503', data: { status: 503 } });
  });
});

describe('worker environment', () => {
  it('sends ctx.log and console output as host.log notifications', async () => {
    resultOf(await route(basic, 'log'));
    await waitFor(() => basic.logs.some((log) => log.message === 'unclonable'));
    expect(basic.logs).toContainEqual({ level: 'warn', message: 'from ctx', fields: { a: 1 } });
    expect(basic.logs).toContainEqual({ level: 'info', message: 'from console 42' });
    // Lines logged while the plugin module evaluated arrive too.
    expect(basic.logs.some((log) => log.message.startsWith('module evaluated in thread'))).toBe(true);
    const unclonable = basic.logs.find((log) => log.message === 'unclonable');
    expect(unclonable?.fields).toEqual({ unserializableFields: expect.stringContaining('could not be cloned') });
  });

  it('runs setup once per worker with ctx.config', async () => {
    const two = startPool('basic.mjs', { threads: 2, config: { target: 'two' } });
    const setups = () => two.logs.filter((log) => log.message === 'setup');
    await waitFor(() => setups().length === 2);
    const threads = setups().map((log) => (log.fields as { threadId: number }).threadId);
    expect(new Set(threads).size).toBe(2);
    for (const log of setups()) expect(log.fields).toMatchObject({ config: { target: 'two' }, pluginId: 'basic' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => route(two, 'config')));
    for (const answer of answers) expect(resultOf(answer)).toMatchObject({ target: 'two', reason: 'setups=1' });
    expect(setups()).toHaveLength(2);
  });

  it('leaves the pool unusable when setup throws', async () => {
    const broken = startPool('setup-throws.mjs');
    await expect(call(broken.pool, '$/ping')).rejects.toThrow('setup refused');
    // piscina drops the worker and, after a bootstrap failure, does not replace it on its own.
    await waitFor(() => broken.pool.threads.length === 0);
    expect(broken.errors).not.toHaveLength(0);
  });

  it('fails start-up on a malformed definition, naming the bad key', async () => {
    const broken = startPool('bad-definition.mjs');
    await expect(call(broken.pool, '$/ping')).rejects.toThrow(/invalid plugin definition[\s\S]*modelRouter/);
  });

  it('lets an uncaught exception kill the worker, so the host sees a crash', async () => {
    const doomed = startPool('basic.mjs');
    await expect(route(doomed, 'crash')).rejects.toThrow('uncaught in plugin');
  });

  it('gives the worker only the environment the pool names', async () => {
    const answer = resultOf(await route(basic, 'env')) as { reason: string };
    expect(JSON.parse(answer.reason)).toEqual({ ONLY_THIS: 'yes' });
  });
});
