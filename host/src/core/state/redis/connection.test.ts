/**
 * The Redis connection against real redis-server processes: every `state.url` form, refusals
 * that stop a start, and outages (refused, killed, frozen) that only make it not `up`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisClusterSet,
  type RedisSentinelSet,
  type RedisServer,
  freePort,
  redisCli,
  startRedis,
  startRedisCluster,
  startSentinel,
} from '../../../../../test/helpers/redis-server.js';
import { type ConnectOptions, type RedisConnection, connectRedis, scriptOf } from './connection.js';
import { StateUrlError } from './url.js';

import { sleep, within } from '../../../../../test/helpers/wait.js';

/** Polls every 10 ms: what these tests wait for takes reconnects of 50 ms and more. */
const until = (ms: number, check: () => boolean) => within(ms, check, 10);

/** The error a start ends with (the test fails if it connects). */
async function refusal(url: string): Promise<Error> {
  try {
    await (await connectRedis(url, { timeoutMs: 300 })).close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`${url}: connected`);
}

const opened: RedisConnection[] = [];
afterAll(() => Promise.all(opened.map((c) => c.close())));
async function connect(url: string, options?: ConnectOptions): Promise<RedisConnection> {
  const connection = await connectRedis(url, { timeoutMs: 300, ...options });
  opened.push(connection);
  return connection;
}

/** Records onUp/onDown in order. */
function events() {
  const seen: string[] = [];
  return { seen, onUp: () => void seen.push('up'), onDown: (err: Error) => void seen.push(`down: ${err.message}`) };
}

const GET_SET = scriptOf(`local old = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return old`);

/** SET/GET, a script (loaded on NOSCRIPT) and pub/sub through `c`. */
async function roundTrip(c: RedisConnection, key = 'k'): Promise<void> {
  expect(c.up).toBe(true);
  expect(await c.send(key, ['SET', key, 'v1'])).toBe('OK');
  expect(await c.send(key, ['GET', key])).toBe('v1');
  expect(await c.eval(GET_SET, [key], ['v2'])).toBe('v1');
  expect(await c.eval(GET_SET, [key], ['v3'])).toBe('v2');
  const got: string[] = [];
  await c.subscribe(`ch-${key}`, (m) => got.push(m));
  await c.send(undefined, ['PUBLISH', `ch-${key}`, 'hello']);
  await until(2000, () => got.length > 0);
  expect(got).toEqual(['hello']);
}

describe('URL forms', () => {
  let plain: RedisServer;
  let secured: RedisServer;
  beforeAll(async () => {
    [plain, secured] = await Promise.all([startRedis(), startRedis({ password: 'pa$$ word', args: ['--user', 'alice', 'on', '>alice-secret', '~*', '&*', '+@all'] })]);
  });
  afterAll(() => Promise.all([plain?.stop(), secured?.stop()]));

  it('redis://host:port, with a database number', async () => {
    await roundTrip(await connect(plain.url));
    const db3 = await connect(`${plain.url}/3`);
    await db3.send('only-in-3', ['SET', 'only-in-3', 'x']);
    expect(await redisCli(plain.port, ['-n', '3', 'GET', 'only-in-3'])).toBe('x');
  });

  it('unix:///path/to/socket', async () => {
    await roundTrip(await connect(`unix://${plain.socketPath}`), 'via-socket');
  });

  it('a password (requirepass, percent-encoded) and an ACL user', async () => {
    await roundTrip(await connect(`redis://:${encodeURIComponent('pa$$ word')}@127.0.0.1:${secured.port}`));
    await roundTrip(await connect(`redis://alice:alice-secret@127.0.0.1:${secured.port}`), 'alice');
  });

  it('runs a script the server forgot (SCRIPT FLUSH) by loading it again', async () => {
    const c = await connect(plain.url);
    await c.eval(GET_SET, ['flushed'], ['a']);
    await c.send(undefined, ['SCRIPT', 'FLUSH']);
    expect(await c.eval(GET_SET, ['flushed'], ['b'])).toBe('a');
  });

  it('passes server errors through without calling it an outage', async () => {
    const ev = events();
    const c = await connect(plain.url, ev);
    await c.send('a-string', ['SET', 'a-string', 'x']);
    await expect(c.send('a-string', ['HGET', 'a-string', 'f'])).rejects.toThrow(/WRONGTYPE/);
    expect(c.up).toBe(true);
    expect(ev.seen).toEqual(['up']);
  });
});

describe('Sentinel and Cluster', () => {
  let sentinel: RedisSentinelSet;
  let cluster: RedisClusterSet;
  beforeAll(async () => {
    [sentinel, cluster] = await Promise.all([startSentinel({ sentinels: 2, masterPassword: 'm-secret' }), startRedisCluster({ password: 'c-secret' })]);
  });
  afterAll(() => Promise.all([sentinel?.stop(), cluster?.stop()]));

  it('redis+sentinel://h1:p1,h2:p2/<master> reaches the master', async () => {
    const c = await connect(sentinel.url.replace('://', '://:m-secret@'));
    await roundTrip(c);
    expect(await redisCli(sentinel.master.port, ['GET', 'k'], 'm-secret')).toBe('v3');
  });

  it('redis+cluster://h1:p1,… routes each key to its slot, scripts included', async () => {
    const c = await connect(cluster.url);
    // a, b and c hash to slots 15495, 3300 and 7365: one per master.
    const slots = await Promise.all(['a', 'b', 'c'].map((k) => c.send(k, ['CLUSTER', 'KEYSLOT', k])));
    expect(new Set(slots).size).toBe(3);
    for (const key of ['a', 'b', 'c']) await roundTrip(c, key);
    const owners = await Promise.all(cluster.nodes.map((n) => redisCli(n.port, ['DBSIZE'], 'c-secret')));
    expect(owners.map(Number).filter((n) => n > 0)).toHaveLength(3);
  });

  it('a refused password stops the start of either', async () => {
    for (const url of [sentinel.url.replace('://', '://:wrong-secret@'), cluster.url.replace('c-secret', 'wrong-secret'), sentinel.url, cluster.url.replace(':c-secret@', '')]) {
      const err = await refusal(url);
      expect(err).toBeInstanceOf(StateUrlError);
      expect(err.message).toMatch(/^state\.url: the server refused the password \((WRONGPASS|NOAUTH)/);
      expect(err.message).not.toMatch(/wrong-secret|c-secret|m-secret/);
    }
  });

  it('unreachable Sentinels or cluster nodes at start: resolves not up', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    for (const url of [`redis+sentinel://127.0.0.1:${p1},127.0.0.1:${p2}/switchyard`, `redis+cluster://127.0.0.1:${p1},127.0.0.1:${p2}`]) {
      const ev = events();
      const started = Date.now();
      const c = await connect(url, ev);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(c.up).toBe(false);
      expect(ev.seen).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
      await c.close();
    }
  });
});

describe('refused at start', () => {
  let secured: RedisServer;
  beforeAll(async () => {
    secured = await startRedis({ password: 'right-secret' });
  });
  afterAll(() => secured?.stop());

  it.each([
    ['not a URL', 'localhost:6379'],
    ['an unknown scheme', 'http://:leak-me@127.0.0.1:6379'],
    ['a bad port', 'redis://:leak-me@127.0.0.1:99999'],
    ['a bad database', 'redis://:leak-me@127.0.0.1:6379/x'],
    ['a sentinel URL without master name', 'redis+sentinel://:leak-me@127.0.0.1:26379'],
    ['a unix URL without path', 'unix://:leak-me@'],
  ])('a malformed URL (%s)', async (_, url) => {
    const err = await refusal(url);
    expect(err).toBeInstanceOf(StateUrlError);
    expect(err.message).toMatch(/^state\.url: /);
    expect(err.message).not.toContain('leak-me');
  });

  it.each([
    ['a wrong password', 'redis://:wrong-secret@127.0.0.1:PORT', /WRONGPASS/],
    ['an unknown ACL user', 'redis://mallory:right-secret@127.0.0.1:PORT', /WRONGPASS/],
    ['no password', 'redis://127.0.0.1:PORT', /NOAUTH/],
  ])('%s', async (_, template, reply) => {
    const started = Date.now();
    const err = await refusal(template.replace('PORT', String(secured.port)));
    expect(err).toBeInstanceOf(StateUrlError);
    expect(err.message).toMatch(/^state\.url: the server refused the password/);
    expect(err.message).toMatch(reply);
    expect(err.message).not.toMatch(/wrong-secret|right-secret/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('outages', () => {
  it('unreachable at start: resolves not up, and comes up when a server starts on that port', async () => {
    const port = await freePort();
    const ev = events();
    const started = Date.now();
    const c = await connect(`redis://127.0.0.1:${port}`, ev);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(c.up).toBe(false);
    expect(ev.seen).toEqual([expect.stringMatching(/^down: .*ECONNREFUSED/)]);
    await expect(c.send('k', ['GET', 'k'])).rejects.toThrow(/not connected/);
    const got: string[] = [];
    await c.subscribe('late', (m) => got.push(m));
    const server = await startRedis({ port });
    try {
      await until(5000, () => c.up);
      expect(ev.seen.slice(1)).toEqual(['up']);
      expect(await c.send('k', ['SET', 'k', 'v'])).toBe('OK');
      // The subscription made while down is made now.
      await until(5000, () => {
        void c.send(undefined, ['PUBLISH', 'late', 'm']).catch(() => {});
        return got.length > 0;
      });
    } finally {
      await server.stop();
    }
  });

  describe('on a server that goes away', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis();
    });
    afterAll(() => server?.stop());

    it('kill: down once and fast failures; restart: up again, subscriptions deliver again', async () => {
      const ev = events();
      const c = await connect(server.url, ev);
      const got: string[] = [];
      await c.subscribe('news', (m) => got.push(m));
      await c.send(undefined, ['PUBLISH', 'news', 'before']);
      await until(2000, () => got.length === 1);

      await server.kill();
      await until(2000, () => !c.up);
      const sent = Date.now();
      await expect(c.send('k', ['GET', 'k'])).rejects.toThrow();
      expect(Date.now() - sent).toBeLessThan(50);
      await sleep(500); // reconnect attempts fail meanwhile: still one onDown
      expect(ev.seen).toEqual(['up', expect.stringMatching(/^down: /)]);

      await server.restart();
      await until(5000, () => c.up);
      expect(ev.seen.slice(2)).toEqual(['up']);
      // The subscriber reconnects on its own schedule: publish until it hears.
      await until(5000, () => {
        void c.send(undefined, ['PUBLISH', 'news', 'after']).catch(() => {});
        return got.includes('after');
      });
    });

    it('a frozen server (SIGSTOP): commands reject within the timeout, and it comes back after SIGCONT', async () => {
      const ev = events();
      const c = await connect(server.url, { ...ev, timeoutMs: 300 });
      server.pause();
      try {
        const sent = Date.now();
        await expect(c.send('k', ['GET', 'k'])).rejects.toThrow(/no answer within 300 ms/);
        expect(Date.now() - sent).toBeLessThan(600);
        expect(c.up).toBe(false);
        expect(ev.seen).toEqual(['up', expect.stringMatching(/^down: /)]);
      } finally {
        server.resume();
      }
      await until(5000, () => c.up);
      expect(await c.send('k', ['SET', 'k', 'v'])).toBe('OK');
    });

    it('close while down ends the reconnecting', async () => {
      await server.kill();
      const c = await connectRedis(server.url, { timeoutMs: 300 });
      expect(c.up).toBe(false);
      await c.close();
      await server.restart();
      await sleep(300);
      expect(c.up).toBe(false);
    });
  });
});
