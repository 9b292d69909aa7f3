import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { StreamFraming, WireEvent } from '../formats/wire-format.js';
import { Channel } from '../streams/flow.js';
import { writeStream } from './writer.js';

/** A response that takes writes until told it is full, and records them. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  full = false;
  destroyed = false;
  writableEnded = false;
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.writes.push(chunk);
    return !this.full;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

const framing: StreamFraming = { headers: {}, frame: (event) => `data: ${String(event.data)}\n\n`, end: () => 'data: [END]\n\n' };

/** A source channel whose pauses, resumes and cancel are counted. */
function source() {
  const calls: string[] = [];
  const channel = new Channel<WireEvent>({ pause: () => calls.push('pause'), resume: () => calls.push('resume'), cancel: () => calls.push('cancel') });
  return { channel, calls };
}

describe('writeStream', () => {
  it('writes each batch as one chunk, then the framing end', async () => {
    const res = new FakeResponse();
    const { channel } = source();
    const done = writeStream(res as unknown as ServerResponse, {}, channel, framing);
    channel.push([{ data: 'a' }, { data: 'b' }]);
    channel.push([{ data: 'c' }]);
    channel.end();
    await done;
    expect(res.writes).toEqual(['data: a\n\ndata: b\n\n', 'data: c\n\n', 'data: [END]\n\n']);
    expect(res.writableEnded).toBe(true);
  });

  it('pauses the flow while the socket is full and resumes it on drain', async () => {
    const res = new FakeResponse();
    const { channel, calls } = source();
    const done = writeStream(res as unknown as ServerResponse, {}, channel, framing);
    res.full = true;
    channel.push([{ data: 'a' }]);
    expect(calls).toEqual(['pause']);
    channel.push([{ data: 'b' }]);
    expect(res.writes).toEqual(['data: a\n\n']);
    res.full = false;
    res.emit('drain');
    expect(calls).toEqual(['pause', 'resume']);
    expect(res.writes).toEqual(['data: a\n\n', 'data: b\n\n']);
    channel.end();
    await done;
  });

  it('cancels the flow, which releases the upstream, when the client goes away', async () => {
    const res = new FakeResponse();
    const { channel, calls } = source();
    const done = writeStream(res as unknown as ServerResponse, {}, channel, framing);
    channel.push([{ data: 'a' }]);
    res.destroy();
    await done;
    expect(calls).toEqual(['cancel']);
  });

  it('ends a failed flow without a clean end', async () => {
    const res = new FakeResponse();
    const { channel } = source();
    const done = writeStream(res as unknown as ServerResponse, {}, channel, framing);
    channel.push([{ data: 'a' }]);
    channel.fail(new Error('broken'));
    await expect(done).rejects.toThrow('broken');
    expect(res.destroyed).toBe(true);
    expect(res.writes).toEqual(['data: a\n\n']);
  });

  it('resolves when the flow fails because the client left: the request signal aborts before the response closes', async () => {
    const res = new FakeResponse();
    const { channel } = source();
    // As the host's own close listener, registered first, aborts the pipeline and so fails the flow.
    res.on('close', () => channel.fail(new Error('client closed the connection')));
    const done = writeStream(res as unknown as ServerResponse, {}, channel, framing);
    channel.push([{ data: 'a' }]);
    res.destroy();
    await expect(done).resolves.toBeUndefined();
  });
});
