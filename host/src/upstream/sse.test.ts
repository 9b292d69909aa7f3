import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { collect } from '../streams/flow.js';
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
    async function* body() {
      yield Buffer.from('data: {"a":');
      yield Buffer.from('1}');
    }
    const out = [];
    out.push(...(await collect(sseFlow(Readable.from(body(), { objectMode: false })))));
    expect(out).toEqual([{ data: '{"a":1}' }]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('data: héllo ✓\n\n');
    async function* body() {
      for (const b of bytes) yield Buffer.from([b]);
    }
    const out = [];
    out.push(...(await collect(sseFlow(Readable.from(body(), { objectMode: false })))));
    expect(out).toEqual([{ data: 'héllo ✓' }]);
  });

  it('delivers what arrived together as one batch, however many chunks it came in', async () => {
    const body = new Readable({ read() {} });
    const seen: unknown[][] = [];
    const ended = new Promise((resolve, reject) => sseFlow(body).start({ batch: (items) => seen.push([...items]), end: () => resolve(seen), fail: reject }));
    // Two chunks in one tick, as the HTTP chunks of one socket read arrive.
    body.push('data: a\n\n');
    body.push('data: b\n\n');
    await new Promise((r) => setImmediate(r));
    body.push('event: x\ndata: c\n\n');
    body.push(null);
    await ended;
    expect(seen).toEqual([[{ data: 'a' }, { data: 'b' }], [{ event: 'x', data: 'c' }]]);
  });

  it('reads nothing while paused, and what was held once resumed', async () => {
    const body = new Readable({ read() {} });
    const flow = sseFlow(body);
    const seen: unknown[][] = [];
    const ended = new Promise((resolve, reject) => flow.start({ batch: (items) => seen.push([...items]), end: () => resolve(seen), fail: reject }));
    flow.pause();
    body.push('data: a\n\n');
    body.push(null);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
    flow.resume();
    await ended;
    expect(seen).toEqual([[{ data: 'a' }]]);
  });

  it('fails when the body is cut, and releases it when cancelled', async () => {
    const cut = new Readable({ read() {} });
    const failed = new Promise((resolve) => sseFlow(cut).start({ batch: () => undefined, end: () => resolve('end'), fail: (err) => resolve((err as Error).message) }));
    cut.push('data: a\n\n');
    cut.destroy(new Error('socket hang up'));
    expect(await failed).toBe('socket hang up');

    const open = new Readable({ read() {} });
    const flow = sseFlow(open);
    flow.start({ batch: () => undefined, end: () => undefined, fail: () => undefined });
    flow.cancel();
    expect(open.destroyed).toBe(true);
  });
});
