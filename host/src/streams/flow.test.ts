import { describe, expect, it } from 'vitest';
import { Channel, type Flow, type FlowSink, collect, firstBatch, mapAsync, tap } from './flow.js';

/** A sink that records what reaches it. */
function recorder<T>() {
  const seen: (readonly T[] | 'end' | { failed: unknown })[] = [];
  const sink: FlowSink<T> = { batch: (items) => seen.push([...items]), end: () => seen.push('end'), fail: (err) => seen.push({ failed: err }) };
  return { seen, sink };
}

/** A channel whose producer-side hooks are counted. */
function counted<T>() {
  const calls: string[] = [];
  const channel = new Channel<T>({ start: () => calls.push('start'), pause: () => calls.push('pause'), resume: () => calls.push('resume'), cancel: () => calls.push('cancel') });
  return { channel, calls };
}

describe('Channel', () => {
  it('holds what comes before the start and while paused, and hands it over in order', () => {
    const { channel, calls } = counted<number>();
    channel.push([1, 2]);
    channel.push([]);
    const { seen, sink } = recorder<number>();
    channel.start(sink);
    expect(seen).toEqual([[1, 2]]);
    channel.pause();
    channel.push([3]);
    channel.end();
    expect(seen).toEqual([[1, 2]]);
    channel.resume();
    expect(seen).toEqual([[1, 2], [3], 'end']);
    // Ended while paused: the producer has nothing left to resume.
    expect(calls).toEqual(['start', 'pause']);
  });

  it('delivers a failure after what was held, once', () => {
    const channel = new Channel<number>();
    channel.push([1]);
    channel.fail('boom');
    channel.fail('again');
    channel.end();
    const { seen, sink } = recorder<number>();
    channel.start(sink);
    expect(seen).toEqual([[1], { failed: 'boom' }]);
  });

  it('drops everything once cancelled and tells the producer', () => {
    const { channel, calls } = counted<number>();
    const { seen, sink } = recorder<number>();
    channel.start(sink);
    channel.cancel();
    channel.push([1]);
    channel.end();
    expect(seen).toEqual([]);
    expect(channel.closed).toBe(true);
    expect(calls).toEqual(['start', 'cancel']);
  });

  it('cuts off a producer that runs more than its limit ahead', () => {
    const channel = new Channel<number>({}, 2);
    channel.push([1, 2]);
    expect(() => channel.push([3])).toThrow('the reader fell 2 events behind');
  });

  it('takes a pause asked for inside a batch before the next held batch', () => {
    const channel = new Channel<number>();
    channel.push([1]);
    channel.push([2]);
    const seen: number[][] = [];
    channel.start({ batch: (items) => (seen.push([...items]), channel.pause()), end: () => undefined, fail: () => undefined });
    expect(seen).toEqual([[1]]);
    channel.resume();
    expect(seen).toEqual([[1], [2]]);
  });
});

describe('firstBatch', () => {
  it('resolves at the first batch with the source paused, and goes on when started', async () => {
    const { channel, calls } = counted<number>();
    const pending = firstBatch(channel, () => new Error('empty'));
    channel.push([1]);
    const rest = await pending;
    expect(calls).toEqual(['start', 'pause']);
    channel.resume(); // what the consumer's start does; the source stays in order regardless
    channel.push([2]);
    channel.end();
    expect(await collect(rest)).toEqual([1, 2]);
  });

  it('rejects with a failure before the first batch, or with empty() for an empty end', async () => {
    const failing = new Channel<number>();
    const failed = firstBatch(failing, () => 'empty');
    failing.fail('refused');
    await expect(failed).rejects.toBe('refused');
    const empty = new Channel<number>();
    const ended = firstBatch(empty, () => 'empty');
    empty.end();
    await expect(ended).rejects.toBe('empty');
  });

  it('passes the consumer cancelling on to the source', async () => {
    const { channel, calls } = counted<number>();
    const pending = firstBatch(channel, () => 'empty');
    channel.push([1]);
    (await pending).cancel();
    expect(calls.at(-1)).toBe('cancel');
  });
});

describe('mapAsync', () => {
  it('runs one transform at a time: batches that arrive meanwhile go together in the next, at their position', async () => {
    const source = new Channel<number>();
    const resolvers: (() => void)[] = [];
    const calls: [number[], number][] = [];
    const flow = mapAsync(
      source,
      (items, first) => {
        calls.push([[...items], first]);
        return new Promise((resolve) => resolvers.push(() => resolve(items.map((n) => n * 10))));
      },
      100,
    );
    const done = collect(flow);
    source.push([1, 2]);
    source.push([3]);
    source.push([4]);
    source.end();
    expect(calls).toEqual([[[1, 2], 0]]);
    resolvers[0]!();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([
      [[1, 2], 0],
      [[3, 4], 2],
    ]);
    resolvers[1]!();
    expect(await done).toEqual([10, 20, 30, 40]);
  });

  it('pauses the source while too much waits, and keeps the items of a transform that failed', async () => {
    const { channel, calls } = counted<number>();
    const resolvers: (() => void)[] = [];
    const flow = mapAsync(channel, (items) => new Promise((resolve, reject) => resolvers.push(() => (items[0] === 1 ? reject(new Error('x')) : resolve(items)))), 2);
    const done = collect(flow);
    channel.push([1]);
    channel.push([2, 3]);
    expect(calls).toEqual(['start', 'pause']);
    resolvers[0]!();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['start', 'pause', 'resume']);
    resolvers[1]!();
    channel.end();
    expect(await done).toEqual([1, 2, 3]);
  });
});

describe('tap and collect', () => {
  it('shows every item on its way and gathers them at the end', async () => {
    const source = new Channel<string>();
    const seen: string[] = [];
    const flow: Flow<string> = tap(source, (item) => seen.push(item));
    const done = collect(flow);
    source.push(['a', 'b']);
    source.push(['c']);
    source.end();
    expect(await done).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('rejects with the failure', async () => {
    const source = new Channel<string>();
    const done = collect(source);
    source.fail(new Error('cut'));
    await expect(done).rejects.toThrow('cut');
  });
});
