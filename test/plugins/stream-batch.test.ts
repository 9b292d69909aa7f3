/**
 * Stream interceptor batches through real plugin workers (the SDK's worker runtime, protocol
 * 1.3): two fixture interceptors (`stream-edit` first by priority, then `stream-index`), one
 * `stream.interceptBatch` call per plugin per batch, each event at its stream index, a
 * same-format stream's texts packed as one, a handler throwing on one event, and a plugin whose
 * worker dies mid-batch.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { workerEntry } from '@switchyard/plugin-sdk/transport';
import type { WireEvent } from '../../host/src/formats/wire-format.js';
import { interceptBatch, interceptStream } from '../../host/src/pipeline/plugins/intercept-stream.js';
import { Channel, collect } from '../../host/src/streams/flow.js';
import { recordingLogger } from '../../host/src/plugins/harness.test-suite.js';
import { defaultPluginItem } from '../../host/src/plugins/item.js';
import { PluginHost } from '../../host/src/plugins/plugin-host.js';
import { pluginsDir } from '../helpers/plugins.js';

let dir: string;
let host: PluginHost;

beforeAll(async () => {
  dir = await pluginsDir(['stream-edit', 'stream-index']);
  host = new PluginHost({ workerFilename: workerEntry(), logger: recordingLogger().logger });
  const items = { 'stream-edit': { ...defaultPluginItem(), priority: 1 }, 'stream-index': defaultPluginItem() };
  await host.load({ enabled: true, dir, callTimeout: 2_000, executorTimeout: 2_000, restartDelay: 60_000, items });
});
afterAll(async () => {
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

const meta = { requestId: 'r1', sourceFormat: 'openai' as const };
const text = (content: string): WireEvent => ({ data: { choices: [{ delta: { content } }] } });
const DONE: WireEvent = { data: '[DONE]' };
/** Each plugin's management counters. */
const counters = () => Object.fromEntries(host.list().map(({ id, state, calls, errors }) => [id, { state, calls, errors }]));

describe('stream interceptor batches in real workers', () => {
  it('register the protocol of the worker runtime and run in priority order', () => {
    expect(host.active('streamInterceptor').map((p) => [p.id, p.protocol])).toEqual([
      ['stream-edit', PROTOCOL_VERSION],
      ['stream-index', PROTOCOL_VERSION],
    ]);
  });

  it('edit, drop and keep the events of a batch with one call per plugin, each event at its stream index', async () => {
    const before = counters();
    const events = [text('a'), text(' drop'), { data: JSON.stringify(text('b').data) }, DONE];
    expect(await interceptBatch(host, events, meta, 5)).toEqual([text('A#5'), text('B#7'), DONE]);
    expect(counters()).toEqual({
      'stream-edit': { ...before['stream-edit'], calls: before['stream-edit'].calls + 1 },
      'stream-index': { ...before['stream-index'], calls: before['stream-index'].calls + 1 },
    });
  });

  it("edit a same-format stream's texts, sent packed as one, and leave the events they keep as the very same texts", async () => {
    const json = (content: string) => JSON.stringify(text(content).data);
    const kept: WireEvent = { data: '{"choices":[]}' };
    const named: WireEvent = { event: 'delta', data: json('n') };
    const events: WireEvent[] = [{ data: json('a') }, { data: json(' drop') }, kept, named, DONE];
    const out = await interceptBatch(host, events, meta, 0);
    expect(out).toEqual([text('A#0'), kept, { event: 'delta', data: text('N#3').data }, DONE]);
    expect(out[1]).toBe(kept);
  });

  it('keep an event whose handler threw, count it as a failure, and intercept the others', async () => {
    const before = counters()['stream-index'];
    expect(await interceptBatch(host, [text('x'), text('boom'), text('y')], meta, 0)).toEqual([text('X#0'), text('BOOM'), text('Y#2')]);
    expect(counters()['stream-index']).toEqual({ state: 'active', calls: before.calls + 1, errors: before.errors + 1 });
  });

  it('serve the stream path one batch per upstream read', async () => {
    const before = counters()['stream-index'];
    const source = new Channel<WireEvent>();
    const done = collect(interceptStream(host, source, meta));
    source.push([text('c'), text(' drop'), text('d')]);
    source.push([DONE]);
    source.end();
    expect(await done).toEqual([text('C#0'), text('D#2'), DONE]);
    expect(counters()['stream-index'].calls).toBe(before.calls + 2);
  });

  it('pass the whole batch through a plugin whose worker dies mid-batch, which is fused', async () => {
    expect(await interceptBatch(host, [text('p'), text('die'), text('q')], meta, 0)).toEqual([text('P'), text('DIE'), text('Q')]);
    expect(counters()['stream-index'].state).toBe('fused');
    expect(await interceptBatch(host, [text('r')], meta, 3)).toEqual([text('R')]);
  });
});
