/**
 * Stream interception against a fake directory: batches through several interceptors (one call
 * per plugin per batch, indices, drops, replacements, raw frames, endings that cannot be
 * dropped, failures per event and per call), the per-event fallback for plugins of protocol
 * 1.1, and the stream path handing each upstream read over as one batch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { BatchEvent, PackedEvents, StreamInterceptBatchParams, StreamInterceptParams, StreamInterceptResult } from '@switchyard/plugin-sdk';
import { PluginCallError } from '@switchyard/plugin-sdk/transport';
import type { WireEvent } from '../../formats/wire-format.js';
import { Channel, collect } from '../../streams/flow.js';
import type { ActivePlugin, PluginDirectory } from './directory.js';
import { interceptBatch, interceptStream } from './intercept-stream.js';

/** A plugin's per-event handler; throwing is the handler failing on that event. */
type Handler = (chunk: StreamInterceptParams) => StreamInterceptResult | undefined | Promise<StreamInterceptResult | undefined>;

interface FakePlugin extends ActivePlugin {
  /** Every call made, params as sent. */
  readonly calls: { method: string; params: Record<string, unknown> }[];
}

/**
 * A stream interceptor answering the way the worker runtime does: per event for
 * `stream.intercept`, and (protocol 1.2 on) each event of a batch in turn for
 * `stream.interceptBatch`, one by one or packed (1.3), with `{error}` for an event its handler
 * threw on.
 */
function fakePlugin(id: string, handler: Handler, protocol = '1.2.0'): FakePlugin {
  const calls: FakePlugin['calls'] = [];
  const run = async (chunk: StreamInterceptParams) => (await handler(chunk)) ?? null;
  const call = async (method: string, params: Record<string, unknown>): Promise<unknown> => {
    calls.push({ method, params: structuredClone(params) });
    if (method === 'stream.intercept') return run(params as StreamInterceptParams);
    if (method !== 'stream.interceptBatch' || semver.lt(protocol, '1.2.0')) throw new PluginCallError('error', -32601, `${method} not found`);
    const { events, packed, index, indices, ...rest } = params as StreamInterceptBatchParams & StreamInterceptParams;
    const answers = [];
    for (const [i, { json, ...event }] of (packed ? unpack(packed) : events!).entries()) {
      // JSON text reaches the handler parsed, as the worker runtime does it.
      const seen = json === undefined ? event : { ...event, data: JSON.parse(json) as unknown };
      answers.push(await run({ ...rest, index: indices?.[i] ?? index + i, event: seen }).catch((err: Error) => ({ error: err.message })));
    }
    return answers;
  };
  return { id, priority: 0, failClosed: false, protocol, calls, call } as unknown as FakePlugin;
}

/** A packed batch's events one by one, as the worker runtime reads them: a JSON object's text as `json`, any other text as `data`. */
function unpack({ text, ends, names }: PackedEvents): BatchEvent[] {
  return ends.map((end, i) => {
    const body = text.slice(ends[i - 1] ?? 0, end);
    const name = names?.[i] ?? undefined;
    return { ...(name === undefined ? {} : { event: name }), ...(body.startsWith('{') ? { json: body } : { data: body }) };
  });
}

/** A directory whose stream interceptors are `list`, in that order; the list may change between reads. */
function directory(list: ActivePlugin[]): PluginDirectory {
  return { active: (capability) => (capability === 'streamInterceptor' ? [...list] : []), get: (id) => list.find((p) => p.id === id), failClosedDown: () => [] };
}

const meta = { requestId: 'r1', sourceFormat: 'openai' as const };
const text = (content: string): WireEvent => ({ data: { choices: [{ delta: { content } }] } });
/** The OpenAI delta content of an event, if it has one. */
function contentOf(event: WireEvent): string | undefined {
  const content = (event.data as { choices?: { delta?: { content?: unknown } }[] } | null)?.choices?.[0]?.delta?.content;
  return typeof content === 'string' ? content : undefined;
}
const DONE: WireEvent = { data: '[DONE]' };

/** Upper-cases content and drops ' drop', like the stream-edit fixture. */
const upper = (): FakePlugin =>
  fakePlugin('upper', ({ event }) => {
    const content = contentOf(event);
    if (content === undefined) return undefined;
    return content === ' drop' ? { drop: true } : { event: text(content.toUpperCase()) };
  });
/** Appends `#<index>` to content, throwing on content that says boom. */
const appendIndex: Handler = ({ index, event }) => {
  const content = contentOf(event);
  if (content !== undefined && /boom/i.test(content)) throw new Error(`cannot take ${content}`);
  return content === undefined ? undefined : { event: text(`${content}#${index}`) };
};
const indexer = (protocol?: string, handler: Handler = appendIndex): FakePlugin => fakePlugin('indexer', handler, protocol);

describe('interceptBatch', () => {
  it('runs a batch through two interceptors with one call each: replaced, dropped and kept events, in order, at their stream indices', async () => {
    const [first, second] = [upper(), indexer()];
    const out = await interceptBatch(directory([first, second]), [text('a'), text(' drop'), text('b'), DONE], meta, 5);
    expect(out).toEqual([text('A#5'), text('B#7'), DONE]);
    expect(first.calls).toEqual([{ method: 'stream.interceptBatch', params: { ...meta, index: 5, events: [text('a'), text(' drop'), text('b'), DONE] } }]);
    // The dropped event is gone from what the next plugin sees, and leaves a gap in the indices.
    expect(second.calls).toEqual([{ method: 'stream.interceptBatch', params: { ...meta, index: 5, events: [text('A'), text('B'), DONE], indices: [5, 7, 8] } }]);
  });

  it('passes raw frames around the interceptors at their place, and JSON text as `json`, kept as the very same text', async () => {
    const raw: WireEvent = { data: '{"error":{"code":500}}', raw: true };
    const plugin = indexer();
    const json = JSON.stringify(text('a').data);
    const out = await interceptBatch(directory([plugin]), [{ data: json }, raw, text('b')], meta, 0);
    expect(out).toEqual([text('a#0'), raw, text('b#2')]);
    expect(plugin.calls[0].params).toMatchObject({ index: 0, events: [{ json }, text('b')], indices: [0, 2] });
    // Kept by every plugin: the event leaves as the text it came as.
    const kept = { data: JSON.stringify({ choices: [] }) };
    const [same] = await interceptBatch(directory([plugin]), [kept], meta, 3);
    expect(same).toBe(kept);
  });

  it('hands a plugin of protocol 1.3 a batch of texts packed as one, names and gaps kept; a batch with an object, or a 1.2 plugin, one by one', async () => {
    const packer = indexer('1.3.0');
    const [a, b] = [JSON.stringify(text('a').data), JSON.stringify(text('b').data)];
    const named: WireEvent = { event: 'delta', data: b };
    const raw: WireEvent = { data: 'frame', raw: true };
    expect(await interceptBatch(directory([packer]), [{ data: a }, raw, named, DONE], meta, 4)).toEqual([text('a#4'), raw, text('b#6'), DONE]);
    expect(packer.calls[0].params).toEqual({ ...meta, index: 4, packed: { text: `${a}${b}[DONE]`, ends: [a.length, a.length + b.length, a.length + b.length + 6], names: [null, 'delta', null] }, indices: [4, 6, 7] });
    await interceptBatch(directory([packer]), [{ data: a }, DONE], meta, 0);
    expect(packer.calls[1].params).toEqual({ ...meta, index: 0, packed: { text: `${a}[DONE]`, ends: [a.length, a.length + 6] } });
    await interceptBatch(directory([packer]), [{ data: a }, text('c')], meta, 0);
    expect(packer.calls[2].params).toEqual({ ...meta, index: 0, events: [{ json: a }, text('c')] });
    const older = indexer('1.2.0');
    await interceptBatch(directory([older]), [{ data: a }, DONE], meta, 0);
    expect(older.calls[0].params).toEqual({ ...meta, index: 0, events: [{ json: a }, DONE] });
  });

  it('leaves events untouched without interceptors, and makes no call for a batch of raw frames', async () => {
    const events: WireEvent[] = [{ data: '{"a":1}' }, DONE];
    expect(await interceptBatch(directory([]), events, meta, 0)).toEqual(events);
    const plugin = upper();
    const raw: WireEvent = { data: 'x', raw: true };
    expect(await interceptBatch(directory([plugin]), [raw], meta, 0)).toEqual([raw]);
    expect(plugin.calls).toEqual([]);
  });

  it('never drops the ending of a stream in any format, and the next plugin sees only what is left', async () => {
    const dropAll = fakePlugin('drop-all', () => ({ drop: true }));
    const after = indexer();
    const endings: WireEvent[] = [
      DONE,
      { event: 'message_stop', data: { type: 'message_stop' } },
      { event: 'response.completed', data: { type: 'response.completed' } },
      { data: { error: { message: 'upstream broke' } } },
    ];
    const events = [text('a'), endings[0], { event: 'content_block_delta', data: { type: 'content_block_delta' } }, ...endings.slice(1), text('b')];
    expect(await interceptBatch(directory([dropAll, after]), events, meta, 0)).toEqual(endings);
    expect(after.calls[0].params).toMatchObject({ events: endings, indices: [1, 3, 4, 5] });
  });

  it('ends the run once every event is dropped: later plugins are not called', async () => {
    const after = indexer();
    expect(await interceptBatch(directory([fakePlugin('drop-all', () => ({ drop: true })), after]), [text('a'), text('b')], meta, 0)).toEqual([]);
    expect(after.calls).toEqual([]);
  });

  it('keeps an event the handler threw on, intercepting the others of the batch', async () => {
    const plugin = indexer();
    expect(await interceptBatch(directory([plugin]), [text('x'), text('boom'), text('y')], meta, 0)).toEqual([text('x#0'), text('boom'), text('y#2')]);
    expect(plugin.calls).toHaveLength(1);
  });

  it('serves a plugin of protocol 1.1 one event per call, all at once, answers in order, a failure failing its event alone', async () => {
    let inFlight = 0;
    let most = 0;
    const old = indexer('1.1.0', async (chunk) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Later events answer first: the order must come from the batch, not from the answers.
      await sleep(40 - chunk.index * 10);
      inFlight -= 1;
      return appendIndex(chunk);
    });
    const out = await interceptBatch(directory([upper(), old]), [text('a'), text(' drop'), text('boom'), text('c')], meta, 0);
    expect(out).toEqual([text('A#0'), text('BOOM'), text('C#3')]);
    expect(old.calls.map((c) => [c.method, c.params.index, c.params.event])).toEqual([
      ['stream.intercept', 0, text('A')],
      ['stream.intercept', 2, text('BOOM')],
      ['stream.intercept', 3, text('C')],
    ]);
    expect(most).toBe(3);
  });

  it('passes the whole batch through a plugin fused mid-batch as it was; the other interceptors still apply', async () => {
    const list: ActivePlugin[] = [];
    const fusing = fakePlugin('fusing', () => undefined);
    fusing.call = async () => {
      // The worker died under the call: the plugin leaves the dispatch list and the call fails.
      list.splice(list.indexOf(fusing), 1);
      throw new PluginCallError('crash', -32603, 'worker exited with code: 5');
    };
    const after = indexer();
    list.push(upper(), fusing, after);
    const plugins = directory(list);
    expect(await interceptBatch(plugins, [text('a'), text('b')], meta, 0)).toEqual([text('A#0'), text('B#1')]);
    expect(after.calls[0].params).toMatchObject({ events: [text('A'), text('B')] });
    expect(await interceptBatch(plugins, [text('c')], meta, 2)).toEqual([text('C#2')]);
  });
});

describe('interceptStream', () => {
  it('makes one call per plugin per burst: batches that arrive during a call go together in the next, at their stream indices', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = indexer('1.2.0', async (chunk) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await sleep(20);
      inFlight -= 1;
      return appendIndex(chunk);
    });
    const source = new Channel<WireEvent>();
    const done = collect(interceptStream(directory([upper(), slow]), source, meta));
    source.push([text('a'), text(' drop')]);
    source.push([text('b')]);
    source.push([text('c'), DONE]);
    source.end();
    expect(await done).toEqual([text('A#0'), text('B#2'), text('C#3'), DONE]);
    // The first read's batch loses its dropped event before the second plugin sees it; the
    // reads that came while it was under way make one batch.
    expect(slow.calls.map((c) => [c.params.index, c.params.events, c.params.indices])).toEqual([
      [0, [text('A')], undefined],
      [2, [text('B'), text('C'), DONE], undefined],
    ]);
    expect(most).toBe(1);
  });

  it('reads the interceptors per batch: a plugin gone mid-stream is not called again', async () => {
    const plugin = indexer();
    const list: ActivePlugin[] = [plugin];
    const source = new Channel<WireEvent>();
    const done = collect(interceptStream(directory(list), source, meta));
    source.push([text('a')]);
    list.length = 0;
    source.push([text('b')]);
    source.end();
    expect(await done).toEqual([text('a#0'), text('b')]);
    expect(plugin.calls).toHaveLength(1);
  });
});
