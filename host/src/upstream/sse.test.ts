import { describe, expect, it } from 'vitest';
import { Channel, collect } from '../streams/flow.js';
import { SseParser, sseFlow } from './sse.js';

describe('SseParser', () => {
  it('parses events split at any byte boundary', () => {
    const text = 'event: a\ndata: {"x":1}\n\n: comment\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
      expect(events).toEqual([{ event: 'a', data: '{"x":1}' }, { data: 'line1\nline2' }, { data: '[DONE]' }]);
    }
  });

  it('accepts CRLF and CR line endings', () => {
    const p = new SseParser();
    expect(p.push('data: a\r\n\r\ndata: b\r\rdata: c\r')).toEqual([{ data: 'a' }, { data: 'b' }]);
    expect(p.push('\n\r\n')).toEqual([{ data: 'c' }]);
  });

  it('reads a chunk that mixes LF, CRLF and CR endings, split anywhere', () => {
    const text = 'data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\ndata: e\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
      expect(events.map((e) => e.data).join('')).toBe('abcde');
    }
  });

  it('flushes a final event without a blank line at the end', async () => {
    expect(await collect(sseFlow(bytes('data: {"a":', '1}')))).toEqual([{ data: '{"a":1}' }]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const split = [...Buffer.from('data: héllo ✓\n\n')].map((b) => Buffer.from([b]));
    expect(await collect(sseFlow(bytes(...split)))).toEqual([{ data: 'héllo ✓' }]);
  });

  it('drops one leading byte order mark, even split across chunks, and keeps any later one', async () => {
    const split = [...Buffer.from('\uFEFFdata: a\n\ndata: \uFEFFb\n\n')].map((b) => Buffer.from([b]));
    expect(await collect(sseFlow(bytes(...split)))).toEqual([{ data: 'a' }, { data: '\uFEFFb' }]);
  });

  it('turns invalid UTF-8 into replacement characters, also when the body ends mid-character', async () => {
    const events = await collect(sseFlow(bytes(Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0x0a, 0x0a]), Buffer.from('data: x'), Buffer.from([0xe2, 0x9c]))));
    expect(events).toEqual([{ data: '\uFFFD' }, { data: 'x\uFFFD' }]);
  });

  it('turns each batch of bytes (one socket read) into one batch of events, however many chunks it holds', async () => {
    const body = new Channel<Buffer>();
    const seen: unknown[][] = [];
    const ended = new Promise((resolve, reject) => sseFlow(body).start({ batch: (items) => seen.push([...items]), end: () => resolve(seen), fail: reject }));
    body.push([Buffer.from('data: a\n\n'), Buffer.from('data: b\n\n')]);
    body.push([Buffer.from('event: x\ndata: c\n\n')]);
    body.end();
    await ended;
    expect(seen).toEqual([[{ data: 'a' }, { data: 'b' }], [{ event: 'x', data: 'c' }]]);
  });

  it('pauses its body while paused, and hands over what was held once resumed', async () => {
    const body = new Channel<Buffer>();
    const flow = sseFlow(body);
    const seen: unknown[][] = [];
    const ended = new Promise((resolve, reject) => flow.start({ batch: (items) => seen.push([...items]), end: () => resolve(seen), fail: reject }));
    flow.pause();
    expect(body.paused).toBe(true);
    body.push([Buffer.from('data: a\n\n')]);
    body.end();
    expect(seen).toEqual([]);
    flow.resume();
    await ended;
    expect(seen).toEqual([[{ data: 'a' }]]);
  });

  it('fails when the body is cut, and releases it when cancelled', async () => {
    const cut = new Channel<Buffer>();
    const failed = new Promise((resolve) => sseFlow(cut).start({ batch: () => undefined, end: () => resolve('end'), fail: (err) => resolve((err as Error).message) }));
    cut.push([Buffer.from('data: a\n\n')]);
    cut.fail(new Error('socket hang up'));
    expect(await failed).toBe('socket hang up');

    let released = false;
    const open = new Channel<Buffer>({ cancel: () => (released = true) });
    const flow = sseFlow(open);
    flow.start({ batch: () => undefined, end: () => undefined, fail: () => undefined });
    flow.cancel();
    expect(released).toBe(true);
  });
});

/** A body that hands over each chunk as a batch of its own, then ends. */
function bytes(...chunks: (string | Buffer)[]): Channel<Buffer> {
  const body = new Channel<Buffer>();
  for (const chunk of chunks) body.push([Buffer.from(chunk)]);
  body.end();
  return body;
}
