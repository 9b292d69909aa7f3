/**
 * The plugin test harness against fixture plugins, through the real worker runtime in real
 * pools: every method with its defaults, host callbacks, logs, each way a call can fail, and
 * an auth plugin's refresh with its cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PROTOCOL_VERSION } from '../protocol.js';
import type { AuthCredential, SchedulerCandidate } from '../schema.js';
import { buildSdk, waitFor } from '../worker/harness.test-suite.js';
import { HarnessError, createHarness, type BatchRequest, type HarnessOptions, type PluginHarness } from './harness.js';

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

  it('intercepts a batch of stream events with the per-event handler, each at its index', async () => {
    const answer = (index: number, data: string) => ({ event: { data: { requestId: 'test', sourceFormat: 'openai', index, event: { data } } } });
    expect(await kitchen.interceptStreamBatch({ events: [{ data: 'x' }, { data: 'y' }] })).toEqual([answer(0, 'x'), answer(1, 'y')]);
    expect(await kitchen.interceptStreamBatch({ events: [{ data: 'x' }, { data: 'y' }], index: 3, indices: [3, 7], requestId: 'r9' })).toEqual([
      { event: { data: { requestId: 'r9', sourceFormat: 'openai', index: 3, event: { data: 'x' } } } },
      { event: { data: { requestId: 'r9', sourceFormat: 'openai', index: 7, event: { data: 'y' } } } },
    ]);
    expect(await kitchen.interceptStreamBatch({ events: [] })).toEqual([]);
  });

  it('hands a batch event sent as JSON text to the handler parsed, and text that is not JSON as text', async () => {
    const answers = await kitchen.interceptStreamBatch({ events: [{ json: '{"a":[1]}' }, { event: 'e', json: '{not json' }] });
    expect(answers.map((a) => (a as { event: { data: { event: unknown } } }).event.data.event)).toEqual([{ data: { a: [1] } }, { event: 'e', data: '{not json' }]);
  });

  it('gives a lazily parsed batch event the ways of a plain object: spread, serialised, assigned, mutated', async () => {
    const lazy = await start({ plugin: fixture('lazy-events.mjs') });
    const events = [{ event: 'delta', json: '{"n":0}' }, { json: '{"n":1}' }, { json: '{"n":2}' }];
    expect(await lazy.interceptStreamBatch({ events })).toEqual([
      { event: { data: { spread: { event: 'delta', data: { n: 0 } }, serialised: { event: 'delta', data: { n: 0 } }, keys: ['event', 'data'] } } },
      { event: { data: { replaced: true } } },
      { event: { data: { n: 2, seen: 2 } } },
    ]);
  });

  it('hands the events of a packed batch (1.3) to the handler as the same events sent one by one', async () => {
    const texts = ['{"a":[1]}', '[DONE]', '', '{not json', 'plain'];
    const packed = { text: texts.join(''), ends: texts.map((_, i) => texts.slice(0, i + 1).join('').length), names: [null, null, null, 'e', null] };
    const answers = await kitchen.interceptStreamBatch({ packed, index: 3, indices: [3, 5, 6, 7, 9] });
    expect(answers.map((a) => (a as { event: { data: unknown } }).event.data)).toEqual([
      { requestId: 'test', sourceFormat: 'openai', index: 3, event: { data: { a: [1] } } },
      { requestId: 'test', sourceFormat: 'openai', index: 5, event: { data: '[DONE]' } },
      { requestId: 'test', sourceFormat: 'openai', index: 6, event: { data: '' } },
      { requestId: 'test', sourceFormat: 'openai', index: 7, event: { event: 'e', data: '{not json' } },
      { requestId: 'test', sourceFormat: 'openai', index: 9, event: { data: 'plain' } },
    ]);
    const lazy = await start({ plugin: fixture('lazy-events.mjs') });
    const events = [{ event: 'delta', json: '{"n":0}' }, { json: '{"n":1}' }, { json: '{"n":2}' }];
    const one = events.map((e) => e.json);
    const asPacked = { text: one.join(''), ends: [7, 14, 21], names: ['delta', null, null] };
    expect(await lazy.interceptStreamBatch({ packed: asPacked })).toEqual(await lazy.interceptStreamBatch({ events }));
  });

  it("refuses a packed batch that does not add up with the worker's -32602", async () => {
    const refused = async (batch: BatchRequest, why: string) =>
      expect(await failure(kitchen.interceptStreamBatch(batch))).toMatchObject({ kind: 'error', code: -32602, message: expect.stringContaining(why) });
    await refused({ packed: { text: '{}', ends: [3] } }, 'ends must rise and stay within text');
    await refused({ packed: { text: '{}{}', ends: [4, 2] } }, 'ends must rise and stay within text');
    await refused({ packed: { text: '{}', ends: [2], names: [] } }, 'names must have one entry per event');
    await refused({ packed: { text: '{}', ends: [2] }, events: [{ data: 'x' }] }, 'send either events or packed');
    await refused({ packed: { text: '{}', ends: [2] }, indices: [0, 1] }, 'indices must have one entry per event');
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

  it('answers {error} for each event of a batch whose handler threw or answered invalidly, and still serves the others', async () => {
    const answers = await faults.interceptStreamBatch({ events: [{ data: 'a' }, { data: 'throw' }, { data: 'invalid' }, { data: 'b' }] });
    expect(answers).toEqual([{ drop: true }, { error: 'stream exploded' }, { error: expect.stringMatching(/^answered an invalid result: matches none of the allowed shapes/) }, { drop: true }]);
  });

  it("refuses a batch whose indices do not match its events with the worker's -32602", async () => {
    const err = await failure(faults.interceptStreamBatch({ events: [{ data: 'a' }], indices: [0, 1] }));
    expect(err).toMatchObject({ kind: 'error', code: -32602, message: expect.stringContaining('indices must have one entry per event') });
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

describe('an auth plugin', () => {
  let auth: PluginHarness;
  beforeAll(async () => {
    // A deadline well past the cancel test's wait, so a cancel that never arrives fails as 'timeout'.
    auth = await start({ plugin: fixture('auth.mjs'), config: { tokenUrl: 'https://token.example' }, callTimeoutMs: 3_000 });
  });

  it('registers the auth capability with its credential types', () => {
    expect(auth.registration).toEqual({ id: 'auth', protocol: PROTOCOL_VERSION, capabilities: ['auth'], auth: { types: ['fixture-token'] } });
  });

  it('refreshes with the credential defaults filled, answering the validated result', async () => {
    expect(await auth.refresh({ type: 'fixture-token', material: { refresh_token: 'rt-1' } })).toEqual({
      token: 'tok-rt-1',
      expiresAt: 1_900_000_000_000,
      material: { refresh_token: 'rt-1-next' },
      metadata: {
        seen: { id: 'test#0', provider: 'test', type: 'fixture-token', material: { refresh_token: 'rt-1' }, metadata: {} },
        config: { tokenUrl: 'https://token.example' },
      },
    });
    const named = await auth.refresh({ provider: 'acme', type: 'fixture-token', material: { refresh_token: 'rt-2' }, metadata: { n: 1 }, expiresAt: 5 });
    expect(named.metadata?.seen).toEqual({ id: 'acme#0', provider: 'acme', type: 'fixture-token', material: { refresh_token: 'rt-2' }, metadata: { n: 1 }, expiresAt: 5 });
  });

  it("reports a throwing refresh as 'error', a bad answer as 'invalid', bad params as the worker's -32602", async () => {
    expect(await failure(auth.refresh({ type: 'fixture-token', material: { mode: 'throw' } }))).toMatchObject({
      kind: 'error',
      code: ErrorCodes.handlerError,
      message: 'token endpoint said no',
    });
    expect(await failure(auth.refresh({ type: 'fixture-token', material: { mode: 'invalid' } }))).toMatchObject({ kind: 'invalid', code: ErrorCodes.invalidResult });
    const notObject = { type: 'fixture-token', material: 'rt-raw' } as unknown as AuthCredential;
    expect(await failure(auth.refresh(notObject))).toMatchObject({ kind: 'error', code: -32602, message: expect.stringContaining('material') });
  });

  it("aborts the handler's ctx.signal when the call is cancelled, and rejects with the cancelled code", async () => {
    const cancel = new AbortController();
    const began = Date.now();
    const refreshing = failure(auth.refresh({ id: 'acme#3', type: 'fixture-token', material: { mode: 'wait-cancel' } }, { signal: cancel.signal }));
    await waitFor(() => auth.logs.some((line) => line.message === 'refresh waiting'));
    cancel.abort();
    const err = await refreshing;
    expect(err).toMatchObject({ kind: 'error', code: ErrorCodes.cancelled });
    // Ended by the cancel reaching the handler, well within the 3 s deadline.
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(auth.logs.filter((line) => line.message.startsWith('refresh '))).toEqual([
      { level: 'info', message: 'refresh waiting', fields: { id: 'acme#3' } },
      { level: 'info', message: 'refresh aborted', fields: { aborted: true } },
    ]);
    // A cancelled call is no failure of the plugin: it keeps serving.
    expect((await auth.refresh({ type: 'fixture-token', material: { refresh_token: 'rt-3' } })).token).toBe('tok-rt-3');
  });

  it('cancels a refresh whose signal was aborted before the call', async () => {
    const err = await failure(auth.refresh({ type: 'fixture-token', material: { mode: 'wait-cancel' } }, { signal: AbortSignal.abort() }));
    expect(err).toMatchObject({ kind: 'error', code: ErrorCodes.cancelled });
  });
});
