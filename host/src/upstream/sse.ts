/**
 * A server-sent events parser for upstream bodies (WHATWG event-stream rules: `data:` lines
 * joined by "\n", `event:` names, comments and unknown fields ignored, any line ending).
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { SseEvent } from '../formats/wire-format.js';
import { Channel, type Flow } from '../streams/flow.js';

/** Incremental parser: feed text as it arrives, get whole events back. */
export class SseParser {
  #buffer = '';
  #event: string | undefined;
  #data: string[] = [];

  /** Parses a chunk of text and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    const text = this.#buffer + chunk;
    const out: SseEvent[] = [];
    let start = 0;
    // Each line ending is searched for once: a body without "\r" is not rescanned per line.
    let nl = text.indexOf('\n');
    let cr = text.indexOf('\r');
    for (;;) {
      if (nl !== -1 && nl < start) nl = text.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      let end: number;
      let next: number;
      if (nl === -1 && cr === -1) break;
      if (cr !== -1 && (nl === -1 || cr < nl)) {
        // A lone "\r" at the end may be the first half of "\r\n": wait for more input.
        if (cr === text.length - 1) break;
        end = cr;
        next = text[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else {
        end = nl;
        next = nl + 1;
      }
      this.#line(text.slice(start, end), out);
      start = next;
    }
    this.#buffer = text.slice(start);
    return out;
  }

  /** Flushes an event left without a trailing blank line when the stream ends. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.#buffer) this.#line(this.#buffer, out);
    this.#buffer = '';
    this.#line('', out);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push(this.#event === undefined ? { data: this.#data.join('\n') } : { event: this.#event, data: this.#data.join('\n') });
      }
      this.#event = undefined;
      this.#data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
  }
}

/**
 * The SSE events of an upstream body as a {@link Flow}, parsed in the body's own callbacks. The
 * body is read in paused mode: each `readable` hands over everything that arrived since the
 * last one as one buffer, so the dozens of HTTP chunks of one socket read make one batch (and
 * one write to the client), not one each. Pausing the flow stops the reading (TCP back-pressure
 * reaches the upstream); cancelling destroys the body, which releases the connection.
 */
export function sseFlow(body: Readable): Flow<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const read = () => {
    // Checked before each read: a chunk read while paused would be lost.
    while (!channel.paused && !channel.closed) {
      const chunk = body.read() as Buffer | string | null;
      if (chunk === null) return;
      channel.push(parser.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })));
    }
  };
  const channel = new Channel<SseEvent>({
    start() {
      body.on('readable', read);
      body.once('end', () => {
        channel.push([...parser.push(decoder.decode()), ...parser.end()]);
        channel.end();
      });
      body.once('error', (err) => channel.fail(err));
      // Destroyed without an error or an end: the stream was cut all the same.
      body.once('close', () => channel.fail(new Error('upstream stream closed before its end')));
    },
    resume: read,
    cancel: () => body.destroy(),
  });
  return channel;
}
