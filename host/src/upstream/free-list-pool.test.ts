/**
 * FreeListPool against a real HTTP server on loopback: a request never waits behind a held
 * stream, free connections are reused (also after the server closed them idle), a connection
 * that failed to connect is dropped, close waits and destroy does not, and an undici `Agent`
 * using it as its per-origin factory gets its events as from undici's own pools.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FreeListPool, freeListPools } from './free-list-pool.js';

let server: Server;
let origin: string;
/** TCP connections the server accepted. */
let accepted = 0;
/** Held requests, answered when released. */
const held: ServerResponse[] = [];
let pool: FreeListPool | undefined;

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
  server = createServer(handler);
  server.on('connection', () => accepted++);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)).then(() => {
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
}

beforeEach(async () => {
  accepted = 0;
  held.length = 0;
  await listen((req, res) => {
    if (req.url === '/hold') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: open\n\n');
      held.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`answered ${req.url}`);
  });
});

afterEach(async () => {
  for (const res of held) res.end();
  await pool?.destroy();
  pool = undefined;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = async (dispatcher: FreeListPool | Agent, path: string) => {
  const res = await dispatcher.request({ origin, path, method: 'GET' });
  return res.body.text();
};

/** Opens `count` held streams and waits until each has its first event. */
async function holdStreams(dispatcher: FreeListPool, count: number) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const res = await dispatcher.request({ origin, path: '/hold', method: 'GET' });
      let text = '';
      const ended = new Promise<string>((resolve, reject) => {
        res.body.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.body.on('end', () => resolve(text)).on('error', reject);
      });
      ended.catch(() => undefined);
      const first = await new Promise<string>((resolve) => res.body.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      return { ended, first };
    }),
  );
}

describe('FreeListPool', () => {
  it('serves a request on a free connection while others hold streams, and never queues one behind a held stream', async () => {
    pool = new FreeListPool(origin);
    const streams = await holdStreams(pool, 20);
    expect(streams.map((s) => s.first)).toEqual(Array(20).fill('data: open\n\n'));
    expect(pool.size).toBe(20);
    expect(pool.free).toBe(0);

    for (let i = 0; i < 5; i++) {
      expect(await get(pool, `/short-${i}`)).toBe(`answered /short-${i}`);
      // undici reports a connection free a moment after its answer ended (its 'drain').
      await new Promise((r) => setImmediate(r));
    }
    // One more connection for the five short requests, one after another: reused, not remade.
    expect(accepted).toBe(21);
    expect(pool.size).toBe(21);
    expect(pool.free).toBe(1);

    for (const res of held) res.end();
    await Promise.all(streams.map((s) => s.ended));
    await new Promise((r) => setImmediate(r));
    expect(pool.free).toBe(21);

    // Twenty requests at once take the twenty-one free connections: none is opened.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => get(pool!, `/again-${i}`)));
    expect(answers).toHaveLength(20);
    expect(accepted).toBe(21);
    expect(pool.free).toBeLessThanOrEqual(pool.size);
  });

  it('reconnects a free connection the server closed while it was idle', async () => {
    server.keepAliveTimeout = 50;
    pool = new FreeListPool(origin);
    expect(await get(pool, '/one')).toBe('answered /one');
    await new Promise((r) => setTimeout(r, 200));
    expect(await get(pool, '/two')).toBe('answered /two');
    expect(accepted).toBe(2);
    expect(pool.size).toBe(1);
  });

  it('drops a connection that could not connect, and the next request gets a new one', async () => {
    const port = (server.address() as AddressInfo).port;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    pool = new FreeListPool(origin);
    await expect(get(pool, '/refused')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(pool.size).toBe(0);

    // The origin answers again, on the same port.
    server = createServer((req, res) => res.end(`back ${req.url}`));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(await get(pool, '/after')).toBe('back /after');
    expect(pool.size).toBe(1);
  });

  it('close waits for a request in flight; destroy fails it', async () => {
    pool = new FreeListPool(origin);
    const [stream] = await holdStreams(pool, 1);
    let closed = false;
    const closing = pool.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    expect(() => pool!.dispatch({ origin, path: '/late', method: 'GET' }, {})).toThrow(/closed/i);
    held[0]!.end('data: last\n\n');
    expect(await stream!.ended).toBe('data: open\n\ndata: last\n\n');
    await closing;
    expect(closed).toBe(true);

    pool = new FreeListPool(origin);
    const [cut] = await holdStreams(pool, 1);
    await pool.destroy(new Error('shutting down'));
    await expect(cut!.ended).rejects.toThrow('shutting down');
  });

  it('works as an Agent factory: connect and disconnect reach the agent with the pool among the targets', async () => {
    server.keepAliveTimeout = 50;
    const agent = new Agent({ factory: freeListPools, keepAliveTimeout: 10_000 });
    const connects: unknown[][] = [];
    const disconnects: unknown[][] = [];
    agent.on('connect', (_origin, targets) => connects.push([...targets]));
    agent.on('disconnect', (_origin, targets) => disconnects.push([...targets]));
    try {
      expect(await get(agent, '/via-agent')).toBe('answered /via-agent');
      expect(connects).toHaveLength(1);
      expect(connects[0]![0]).toBe(agent);
      expect(connects[0]![1]).toBeInstanceOf(FreeListPool);
      // The server closes the idle connection: the agent retires the origin's pool and makes a new one.
      await new Promise((r) => setTimeout(r, 200));
      expect(disconnects).toHaveLength(1);
      expect(await get(agent, '/after-disconnect')).toBe('answered /after-disconnect');
      expect(connects).toHaveLength(2);
      expect(connects[1]![1]).not.toBe(connects[0]![1]);
    } finally {
      await agent.close();
    }
  });
});
