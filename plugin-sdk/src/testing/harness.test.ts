/**
 * The plugin test harness against fixture plugins, through the real worker runtime in real
 * pools: every method with its defaults, host callbacks, logs, and each way a call can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PROTOCOL_VERSION } from '../protocol.js';
import type { SchedulerCandidate } from '../schema.js';
import { buildSdk } from '../worker/harness.test-suite.js';
import { HarnessError, createHarness, type HarnessOptions, type PluginHarness } from './harness.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).href;
const started: PluginHarness[] = [];

async function start(options: HarnessOptions): Promise<PluginHarness> {
  const harness = await createHarness(options);
  started.push(harness);
  return harness;
}

/** The HarnessError a call rejects with (fails the test if it resolves). */
async function failure(call: Promise<unknown>): Promise<HarnessError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HarnessError);
  return err as HarnessError;
}

beforeAll(buildSdk);
afterAll(() => Promise.all(started.map((h) => h.close())));

describe('a plugin package with every capability', () => {
  let kitchen: PluginHarness;
  beforeAll(async () => {
    kitchen = await start({ plugin: fixture('kitchen-sink/'), config: { target: 'gpt-x' }, env: { ONLY: 'this' } });
  });

  it('registers under its switchyard.id from its package main', () => {
    expect(kitchen.registration).toEqual({
      id: 'kitchen',
      protocol: PROTOCOL_VERSION,
      capabilities: ['modelRouter', 'requestInterceptor', 'responseInterceptor', 'streamInterceptor', 'scheduler', 'executor'],
      interceptorPhase: 'afterAuth',
      executor: { provider: 'kitchen', format: 'openai', models: [{ id: 'kitchen-1' }, { id: 'kitchen-2' }] },
    });
  });

  it('keeps the log lines of ctx.log and console, with config and nothing but the given env', () => {
    expect(kitchen.logs).toEqual([
      { level: 'info', message: 'module loaded' },
      { level: 'info', message: 'ready', fields: { config: { target: 'gpt-x' }, pluginId: 'kitchen', env: { ONLY: 'this' } } },
    ]);
  });

  it('has the lines a handler logged by the time its call resolves', async () => {
    for (let i = 0; i < 20; i += 1) {
      const before = kitchen.logs.length;
      await kitchen.route({ requestedModel: 'log' });
      expect(kitchen.logs.slice(before)).toEqual([
        { level: 'warn', message: 'routing', fields: { model: 'log' } },
        { level: 'error', message: 'from console 42' },
      ]);
    }
  });

  it('routes with the request defaults filled', async () => {
    const answer = await kitchen.route({ requestedModel: 'm', headers: { 'x-a': '1' } });
    expect(answer).toMatchObject({ handled: true, targetKind: 'model', target: 'gpt-x' });
    expect(JSON.parse((answer as { reason: string }).reason)).toEqual({
      requestId: 'test',
      sourceFormat: 'openai',
      requestedModel: 'm',
      stream: false,
      headers: { 'x-a': '1' },
      query: {},
      body: {},
      availableProviders: [],
    });
  });

  it('intercepts requests in the plugin phase, responses and stream events, with defaults', async () => {
    expect(await kitchen.interceptRequest({ body: { model: 'gpt-4.1' } })).toEqual({
      body: { requestId: 'test', phase: 'afterAuth', sourceFormat: 'openai', model: 'gpt-4.1', requestedModel: 'gpt-4.1', stream: false, headers: {}, body: { model: 'gpt-4.1' } },
    });
    expect(await kitchen.interceptResponse({ body: { ok: true }, status: 202 })).toEqual({
      body: { requestId: 'test', sourceFormat: 'openai', model: 'test-model', provider: 'test', status: 202, headers: {}, body: { ok: true } },
    });
    expect(await kitchen.interceptStream({ event: { data: 'x' }, index: 4 })).toEqual({
      event: { data: { requestId: 'test', sourceFormat: 'openai', index: 4, event: { data: 'x' } } },
    });
  });

  it('schedules for the first candidate provider', async () => {
    const candidate: SchedulerCandidate = { id: 'c1', provider: 'openai', label: 'one', priority: 0, weight: 1, status: 'active', inFlight: 0, successes: 0, failures: 0 };
    expect(await kitchen.schedule({ candidates: [candidate, { ...candidate, id: 'c2' }] })).toEqual({ credentialId: 'openai:test-model:2' });
  });

  it('executes and streams on the executor first model unless the body names one', async () => {
    expect(await kitchen.execute({ body: { q: 1 } })).toEqual({
      status: 201,
      body: { requestId: 'test', model: 'kitchen-1', requestedModel: 'kitchen-1', stream: false, headers: {}, body: { q: 1 } },
    });
    expect(await kitchen.stream({ body: { model: 'kitchen-2' } })).toEqual([{ model: 'kitchen-2', stream: true }, 'done']);
  });

  it('rejects host.executeModel when the harness has no stub', async () => {
    expect(await kitchen.route({ requestedModel: 'nested' })).toMatchObject({ target: 'none', reason: expect.stringContaining('no host in this harness') });
  });

  it('answers host.executeModel with the executeModel stub', async () => {
    const seen: unknown[] = [];
    const stubbed = await start({
      plugin: fixture('kitchen-sink/'),
      executeModel: (params) => {
        seen.push(params);
        return { status: 200, headers: {}, body: { model: `answered ${String(params.body.model)}` } };
      },
    });
    expect(await stubbed.route({ requestedModel: 'nested' })).toEqual({ handled: true, targetKind: 'model', target: 'answered inner' });
    expect(seen).toEqual([{ format: 'openai', body: { model: 'inner' }, stream: false }]);
  });
});

describe('failures', () => {
  let faults: PluginHarness;
  beforeAll(async () => {
    faults = await start({ plugin: fixture('faults.mjs') });
  });

  it("reports a thrown UpstreamError as kind 'error' with data.status", async () => {
    const err = await failure(faults.execute({ body: {} }));
    expect(err).toMatchObject({ kind: 'error', code: ErrorCodes.upstreamStatus, message: 'slow down' });
    expect(err.data).toEqual({ status: 429, retryAfterMs: 1500, message: 'slow down' });
  });

  it("reports a thrown Error as kind 'error' and an answer that does not fit the schema as 'invalid'", async () => {
    expect(await failure(faults.route({ requestedModel: 'throw' }))).toMatchObject({ kind: 'error', code: ErrorCodes.handlerError, message: 'router exploded' });
    expect(await failure(faults.route({ requestedModel: 'invalid' }))).toMatchObject({ kind: 'invalid', code: ErrorCodes.invalidResult });
    // Handler errors are not fatal: the plugin keeps serving.
    expect(await faults.route({ requestedModel: 'other' })).toEqual({ handled: false });
  });

  it("reports a handler past its deadline as 'timeout' within the deadline, and stays unusable", async () => {
    const looping = await start({ plugin: fixture('faults.mjs'), callTimeoutMs: 300 });
    const began = Date.now();
    expect(await failure(looping.route({ requestedModel: 'loop' }))).toMatchObject({ kind: 'timeout', message: 'deadline exceeded (300ms) in model.route' });
    expect(Date.now() - began).toBeLessThan(1_500);
    expect((await failure(looping.route({ requestedModel: 'other' }))).kind).toBe('timeout');
  });

  it("reports a worker that exits as 'crash'", async () => {
    const exiting = await start({ plugin: fixture('faults.mjs') });
    expect((await failure(exiting.route({ requestedModel: 'exit' }))).kind).toBe('crash');
    expect((await failure(exiting.route({ requestedModel: 'other' }))).kind).toBe('crash');
  });

  it("rejects createHarness with 'crash' and the reason when setup throws", async () => {
    const err = await failure(createHarness({ plugin: fixture('setup-fails.mjs') }));
    expect(err.kind).toBe('crash');
    expect(err.message).toBe('plugin setup-fails failed to start: missing api key');
  });

  it('rejects createHarness for a plugin that does not exist', async () => {
    await expect(createHarness({ plugin: fixture('nowhere/') })).rejects.toThrow(/no such file or folder/);
  });
});
