/**
 * Writes stream answers to the raw response in their format's framing. Streams respect
 * back-pressure and stop as soon as the client goes away.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { StreamFraming, WireEvent } from '../formats/wire-format.js';

/** Streams `events` to `res`, framed by `framing`. Resolves when the stream ended or the client left. */
export async function writeStream(res: ServerResponse, headers: Record<string, string>, events: AsyncIterable<WireEvent>, framing: StreamFraming): Promise<void> {
  res.writeHead(200, { ...framing.headers, ...headers });
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
      const chunk = framing.frame(next.value, count);
      if (chunk === undefined) continue;
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
    const end = framing.end(count);
    if (end && !res.destroyed) res.write(end);
  } finally {
    if (res.destroyed) await iterator.return?.();
    if (!res.writableEnded) res.end();
  }
}
