/**
 * A server-sent events parser for upstream bodies (WHATWG event-stream rules: `data:` lines
 * joined by "\n", `event:` names, comments and unknown fields ignored, any line ending).
 *
 * @module
 */
import { StringDecoder } from 'node:string_decoder';
import type { SseEvent } from '../formats/wire-format.js';
import { Channel, type Flow } from '../streams/flow.js';

/** Incremental parser: feed text as it arrives, get whole events back. */
export class SseParser {
  #buffer = '';
  #event: string | undefined;
  readonly #data: string[] = [];

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
      // Emptied, not replaced: a new array would wait for the next event, be promoted, and once
      // dead still keep young strings alive through the scavenger's remembered set.
      this.#data.length = 0;
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
 * The SSE events of an upstream body as a {@link Flow}, parsed in the body's own callbacks: each
 * batch of bytes (one socket read) becomes one batch of events, so one read makes one write to
 * the client. Pausing and cancelling go through to the body, which pauses the socket or
 * releases the connection.
 */
export function sseFlow(body: Flow<Buffer>): Flow<SseEvent> {
  const parser = new SseParser();
  // Not a TextDecoder: decoding in streaming mode costs it ~0.5 µs a call, StringDecoder ~0.1.
  const decoder = new StringDecoder('utf8');
  let first = true;
  const parse = (text: string): SseEvent[] => {
    // UTF-8 decoding drops one leading byte order mark, as the event-stream rules ask.
    if (first && text !== '') {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return parser.push(text);
  };
  const channel: Channel<SseEvent> = new Channel<SseEvent>({
    start: () =>
      body.start({
        batch(chunks) {
          channel.push(parse(decoder.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
        },
        end() {
          channel.push([...parse(decoder.end()), ...parser.end()]);
          channel.end();
        },
        fail: (err) => channel.fail(err),
      }),
    pause: () => body.pause(),
    resume: () => body.resume(),
    cancel: () => body.cancel(),
  });
  return channel;
}
