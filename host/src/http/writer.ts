/**
 * Writes stream answers to the raw response in their format's framing. Each batch (the events
 * of one upstream read) leaves in one write; a full socket pauses the flow until it
 * drains, and a client that goes away cancels it, which releases the upstream.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { StreamFraming, WireEvent } from '../formats/wire-format.js';
import type { Flow } from '../streams/flow.js';

/** Streams `events` to `res`, framed by `framing`. Resolves when the stream ended or the client left; rejects when it failed. */
export function writeStream(res: ServerResponse, headers: Record<string, string>, events: Flow<WireEvent>, framing: StreamFraming): Promise<void> {
  res.writeHead(200, { ...framing.headers, ...headers });
  let count = 0;
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = () => {
      done = true;
      res.off('drain', resume);
      res.off('close', left);
    };
    const resume = () => events.resume();
    const left = () => {
      if (done) return;
      settle();
      events.cancel();
      resolve();
    };
    res.on('drain', resume);
    res.on('close', left);
    events.start({
      batch(items) {
        if (res.destroyed) return;
        // One write per batch: one HTTP chunk and one syscall for the events of an upstream read.
        let text = '';
        for (const item of items) {
          const chunk = framing.frame(item, count);
          if (chunk === undefined) continue;
          count++;
          text += chunk;
        }
        if (text !== '' && !res.write(text)) events.pause();
      },
      end() {
        settle();
        const end = framing.end(count);
        if (end && !res.destroyed) res.write(end);
        if (!res.writableEnded) res.end();
        resolve();
      },
      fail(err) {
        settle();
        // The flow fails when the client leaves (the request's signal aborts first): no error of
        // the host's, and nothing is left to answer.
        if (res.destroyed) return resolve();
        // Not a clean end: the client must not take a failed stream for a whole one.
        res.destroy();
        reject(err);
      },
    });
  });
}
