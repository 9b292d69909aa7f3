/**
 * Writes proxied answers to the raw response: whole JSON bodies, SSE streams (the OpenAI,
 * Anthropic and Gemini `alt=sse` framing) and Gemini's JSON-array streaming. Streams respect
 * back-pressure and stop as soon as the client goes away.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { WireEvent } from '../formats/codec.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

function serialise(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** Frames one event as SSE (a raw event goes as it is). */
export function sseFrame(event: WireEvent): string {
  const data = serialise(event.data);
  if (event.raw) return data;
  return event.event ? `event: ${event.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

/**
 * Streams `events` to `res`. `mode: 'json-array'` writes Gemini's non-SSE stream (`[a,b,...]`).
 * Resolves when the stream ended or the client left.
 */
export async function writeStream(
  res: ServerResponse,
  headers: Record<string, string>,
  events: AsyncIterable<WireEvent>,
  mode: 'sse' | 'json-array' = 'sse',
): Promise<void> {
  res.writeHead(200, mode === 'sse' ? { ...SSE_HEADERS, ...headers } : { 'content-type': 'application/json', ...headers });
  let count = 0;
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const iterator = events[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (res.destroyed) break;
      const next = await iterator.next();
      if (next.done) break;
      if (next.value.raw && mode === 'json-array') continue;
      const chunk = mode === 'sse' ? sseFrame(next.value) : `${count === 0 ? '[' : ',\r\n'}${serialise(next.value.data)}`;
      count++;
      // Events decoded from one upstream read arrive in one tick: cork so they leave in one write.
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(uncork);
      }
      if (!res.write(chunk) && !res.destroyed) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    if (mode === 'json-array' && !res.destroyed) res.write(count === 0 ? '[]' : ']');
  } finally {
    if (res.destroyed) await iterator.return?.();
    if (!res.writableEnded) res.end();
  }
}
