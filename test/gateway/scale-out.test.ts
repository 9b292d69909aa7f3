/**
 * Several hosts on one real redis-server, through HTTP: a 429 seen by one host benches the key on
 * every host, session affinity and round-robin hold across hosts, state outlives every host, and
 * Redis going away mid-load fails no request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type RedisServer, freePort, startRedis } from '../helpers/redis-server.js';
import { sleep, within } from '../helpers/wait.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-scale-out';
const KEYS = ['sk-shared-a', 'sk-shared-b', 'sk-shared-c'];

let mock: MockUpstream;
let redis: RedisServer;
const hosts: TestHost[] = [];
beforeAll(async () => {
  [mock, redis] = await Promise.all([startMockUpstream(), startRedis()]);
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  mock.reset();
});
afterAll(async () => {
  await Promise.all([mock?.close(), redis?.stop()]);
});

/** `n` hosts on one shared state (a fresh key prefix per test). */
async function cluster(n: number, extra: Record<string, unknown> = {}, prefix = `t-${randomUUID()}:`): Promise<TestHost[]> {
  const config = {
    managementKey: MGMT,
    state: { store: 'redis', url: redis.url, keyPrefix: prefix },
    providers: [{ name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: KEYS, models: ['gpt-4.1'] }],
    ...extra,
  };
  const started = await Promise.all(Array.from({ length: n }, () => startHost(config)));
  hosts.push(...started);
  return started;
}

async function chat(host: TestHost, headers: Record<string, string> = {}) {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, credential: res.headers.get('x-switchyard-credential') };
}

async function credentials(host: TestHost): Promise<{ id: string; status: string; successes: number; failures: number; inFlight: number }[]> {
  const res = await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } });
  return (await res.json()) as any;
}

const keysSeen = () => mock.requests.map((r) => r.apiKey);

describe('hosts sharing one Redis', () => {
  it('a 429 on host A benches the key on B and C within 100 ms', async () => {
    const [a, b, c] = await cluster(3);
    mock.fault({ key: KEYS[0], kind: 'status', status: 429, retryAfter: '30', times: 1 });
    expect((await chat(a)).status).toBe(200);
    const cooledAt = performance.now();
    await within(100, async () => (await credentials(b)).find((x) => x.id === 'pool#0')!.status === 'cooling');
    expect(performance.now() - cooledAt).toBeLessThan(100);
    mock.reset();
    for (let i = 0; i < 6; i++) expect((await chat(i % 2 ? b : c)).status).toBe(200);
    expect(keysSeen()).not.toContain(KEYS[0]);
  });

  it('round-robin over three hosts spreads like one host', async () => {
    const three = await cluster(3);
    for (let i = 0; i < 30; i++) {
      expect((await chat(three[i % 3]!)).status).toBe(200);
      // A client's next request comes at least a network round trip later; here everything shares
      // two cores with the rest of the suite, and Redis may wait a few ms for a core.
      await sleep(20);
    }
    const uses = KEYS.map((k) => keysSeen().filter((seen) => seen === k).length);
    expect(uses).toEqual([10, 10, 10]);
  });

  it('a session bound on host A is honoured on B and C', async () => {
    const [a, b, c] = await cluster(3, { routing: { sessionAffinity: true } });
    const first = await chat(a, { 'x-session-id': 'agent-7' });
    await sleep(20);
    for (const host of [b, c, b, c]) expect((await chat(host, { 'x-session-id': 'agent-7' })).credential).toBe(first.credential);
  });

  it('usage adds up over hosts: each answers for all of them', async () => {
    const [a, b] = await cluster(2, { apiKeys: [{ name: 'ci-bot', key: CLIENT_KEY }] });
    for (let i = 0; i < 6; i++) expect((await chat(i % 3 ? a! : b!)).status).toBe(200);
    const total = async (host: TestHost) => {
      const res = await fetch(`${host.url}/v0/management/usage?groupBy=client`, { headers: { authorization: `Bearer ${MGMT}` } });
      const body = (await res.json()) as { groups: { key: string; requests: number; inputTokens: number }[] };
      return body.groups.find((g) => g.key === 'ci-bot');
    };
    // Written behind within a turn of each host's event loop.
    await within(1_000, async () => (await total(a!))?.requests === 6 && (await total(b!))?.requests === 6);
    expect((await total(b!))!.inputTokens).toBe((await total(a!))!.inputTokens);
    expect((await total(a!))!.inputTokens).toBeGreaterThan(0);
  });

  it('state survives a restart of every host, even with an empty authDir', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a] = await cluster(2, {}, prefix);
    mock.fault({ key: KEYS[1], kind: 'status', status: 429, retryAfter: '120', times: 1 });
    for (let i = 0; i < 3; i++) expect((await chat(a!)).status).toBe(200);
    await Promise.all(hosts.splice(0).map((h) => h.close()));
    mock.reset();
    // New hosts, new authDirs: all they know comes from Redis.
    const [c, d] = await cluster(2, {}, prefix);
    expect((await credentials(c!)).find((x) => x.id === 'pool#1')!.status).toBe('cooling');
    for (let i = 0; i < 4; i++) expect((await chat(i % 2 ? c! : d!)).status).toBe(200);
    expect(keysSeen()).not.toContain(KEYS[1]);
    // Counters from other hosts arrive with the reconcile (every second).
    await within(3_000, async () => (await credentials(d!)).reduce((n, x) => n + x.successes + x.failures, 0) === 3 + 1 + 4);
  });
});

describe('chaos', () => {
  it('Redis killed mid-load and restarted: no client request fails, and the hosts agree again after', async () => {
    const [a, b] = await cluster(2);
    const results: number[] = [];
    let sent = 0;
    const worker = async () => {
      while (sent < 300) {
        sent++;
        results.push((await chat(sent % 2 ? a! : b!)).status);
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    await sleep(150);
    await redis.kill();
    await within(3_000, async () => ((await (await fetch(`${a!.url}/healthz`)).json()) as { status: string }).status === 'degraded');
    const degraded = (await (await fetch(`${a!.url}/healthz`)).json()) as Record<string, unknown>;
    expect(degraded).toMatchObject({ status: 'degraded', store: 'redis' });
    expect(await (await fetch(`${a!.url}/metrics`)).text()).toMatch(/^switchyard_state_store_up 0$/m);
    await sleep(300);
    await redis.restart();
    await load;
    expect(results).toHaveLength(300);
    expect(results.filter((s) => s !== 200)).toEqual([]);
    await within(5_000, async () => ((await (await fetch(`${b!.url}/healthz`)).json()) as { status: string }).status === 'ok');
    // Reconciled: Redis came back empty, and the hosts wrote every count back, none twice.
    await within(3_000, async () => {
      const [ca, cb] = await Promise.all([credentials(a!), credentials(b!)]);
      const total = (list: typeof ca) => list.reduce((n, x) => n + x.successes, 0);
      return total(ca) === 300 && total(cb) === 300;
    });
  });

  it('a host killed with requests in flight leaves no stuck in-flight counts', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [survivor] = await cluster(1, {}, prefix);
    const doomed = await spawnHost(prefix);
    try {
      mock.fault({ kind: 'slow', delayMs: 20_000 });
      const pending = [1, 2, 3].map(() => fetch(`${doomed.url}/v1/chat/completions`, chatInit()).catch(() => undefined));
      const inFlight = async () => (await credentials(survivor!)).reduce((n, c) => n + c.inFlight, 0);
      await within(5_000, async () => (await inFlight()) === 3);
      doomed.child.kill('SIGKILL');
      await Promise.all(pending);
      // Nobody cleans up after a SIGKILL: the counts go with the dead host's heartbeat.
      await within(6_000, async () => (await inFlight()) === 0);
    } finally {
      doomed.child.kill('SIGKILL');
      await rm(doomed.dir, { recursive: true, force: true });
    }
  });
});

const CLI = fileURLToPath(new URL('../../host/dist/cli/main.js', import.meta.url));

function chatInit(): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
  };
}

/** A host in a process of its own (the built CLI), so a test can SIGKILL it. */
async function spawnHost(prefix: string): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-doomed-'));
  const port = await freePort();
  const config = {
    port,
    apiKeys: [CLIENT_KEY],
    state: { store: 'redis', url: redis.url, keyPrefix: prefix },
    providers: [{ name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: KEYS, models: ['gpt-4.1'] }],
    plugins: { dir: join(dir, 'none') },
  };
  await writeFile(join(dir, 'switchyard.yaml'), stringify(config));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'switchyard.yaml')], { stdio: 'ignore', env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'silent' } });
  const url = `http://127.0.0.1:${port}`;
  await within(15_000, async () => {
    if (child.exitCode !== null) throw new Error(`host exited with ${child.exitCode}`);
    return fetch(`${url}/healthz`).then((r) => r.ok, () => false);
  });
  return { url, child, dir };
}

describe('start-up', () => {
  const config = (url: string) => ({ state: { store: 'redis', url }, providers: [{ name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: KEYS, models: ['gpt-4.1'] }] });

  it('a malformed state.url or a refused password stops the start with an error naming state.url, never the password', async () => {
    await expect(startHost(config('redis://:hunter2@127.0.0.1:notaport'))).rejects.toThrow(/state\.url/);
    const guarded = await startRedis({ password: 'right-one' });
    try {
      const failure = await startHost(config(`redis://:wrong-one@127.0.0.1:${guarded.port}`)).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure?.name).toBe('ConfigError');
      expect(failure?.message).toMatch(/state\.url/);
      expect(failure?.message).not.toContain('wrong-one');
    } finally {
      await guarded.stop();
    }
  });

  it('an unreachable Redis: the host starts degraded, serves, and catches up when Redis comes', async () => {
    const port = await freePort();
    const [host] = await Promise.all([startHost(config(`redis://127.0.0.1:${port}`))]);
    hosts.push(host!);
    const health = async () => (await (await fetch(`${host!.url}/healthz`)).json()) as Record<string, unknown>;
    expect(await health()).toMatchObject({ status: 'degraded', store: 'redis' });
    expect(await (await fetch(`${host!.url}/metrics`)).text()).toMatch(/^switchyard_state_store_up 0$/m);
    expect((await chat(host!)).status).toBe(200);
    const late = await startRedis({ port });
    try {
      await within(5_000, async () => (await health()).status === 'ok');
      expect(await (await fetch(`${host!.url}/metrics`)).text()).toMatch(/^switchyard_state_store_up 1$/m);
    } finally {
      await Promise.all(hosts.splice(0).map((h) => h.close()));
      await late.stop();
    }
  });
});
