/**
 * `GET /v0/management/events`: live events as SSE. Headers go out at once; a `: ping` comment
 * every 15 s keeps proxies from closing an idle stream. A listener too slow to read is cut off
 * (beyond 1 MB unread) rather than holding memory for it.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { EventHub } from '../pipeline/events.js';

const PING_MS = 15_000;
/** Unread bytes a listener may leave before it is disconnected. */
const MAX_UNREAD = 1 << 20;

export function registerEventStream(scope: FastifyInstance, events: EventHub): void {
  scope.get('/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const unsubscribe = events.subscribe((event) => {
      if (res.writableLength > MAX_UNREAD) return void res.destroy();
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    const end = () => {
      clearInterval(ping);
      unsubscribe();
    };
    res.once('close', end);
    request.raw.once('close', end);
  });
}
