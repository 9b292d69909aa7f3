/**
 * The built `switchyard serve --workers 2` as a user runs it: both workers serve the one port,
 * `/metrics` from either answers for the set, a cooldown made on one worker holds on the other,
 * a stored Responses conversation continues on either, the primary alone persists the state, a management reload reaches both workers, a killed
 * worker is replaced without the set's counters going down, and SIGTERM ends every process
 * with exit 0. A config error exits 2 once, before any worker starts.
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { until } from '../../../test/helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../../../test/mock-upstream/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const CLIENT_KEY = 'sk-client-workers';
const MGMT = 'mgmt-workers';
let mock: MockUpstream;
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The command under test is the built one.
  execSync('npx tsc -b', { cwd: repoRoot, stdio: 'pipe' });
  mock = await startMockUpstream();
}, 120_000);
afterEach(() => {
  mock.reset();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await mock?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Served {
  child: ChildProcess;
  port: number;
  dir: string;
  exit: Promise<number | null>;
  lines: Record<string, unknown>[];
  stderr: () => string;
}

/** Runs the built `switchyard serve` with `config`; resolves once `ready` says it is up (or it exited). */
async function serve(config: Record<string, unknown>, args: string[], ready = (l: Record<string, unknown>) => l.msg === 'every worker listening'): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-'));
  dirs.push(dir);
  const file = join(dir, 'switchyard.yaml');
  await writeFile(file, stringify(config));
  const child = spawn(process.execPath, [join(repoRoot, 'host/dist/cli/main.js'), 'serve', '--config', file, ...args], {
    env: { PATH: process.env.PATH, SWITCHYARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await until(() => lines.some(ready) || child.exitCode !== null, 30_000, 'switchyard serve to start');
  const up = lines.find(ready);
  return { child, port: Number(up?.port ?? 0), dir, exit, lines, stderr: () => stderr };
}

/** One HTTP exchange on a connection of its own, so the cluster hands each to the next worker in turn. */
function call(port: number, method: string, path: string, body?: unknown, key = CLIENT_KEY): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const chat = (port: number) => call(port, 'POST', '/v1/chat/completions', { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });

/** The sum of a metric's samples whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const workerPids = (s: Served) => s.lines.filter((l) => l.msg === 'worker started').map((l) => Number(l.pid));

function config(extra: Record<string, unknown> = {}) {
  return {
    port: 0,
    apiKeys: [CLIENT_KEY],
    managementKey: MGMT,
    providers: [{ name: 'openai', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-up-workers'], models: ['gpt-4.1'] }],
    plugins: { enabled: false },
    ...extra,
  };
}

describe('switchyard serve --workers 2', { timeout: 90_000 }, () => {
  it('serves from both workers, sums /metrics, shares state through the primary, relays reloads and stops all on SIGTERM', async () => {
    const served = await serve(config(), ['--workers', '2']);
    expect(served.port).toBeGreaterThan(0);
    const pids = workerPids(served);
    expect(pids).toHaveLength(2);

    const sent = 10;
    for (let i = 0; i < sent; i++) expect((await chat(served.port)).status).toBe(200);
    // Each request came on a new connection: the cluster handed them to both workers.
    await until(() => served.lines.filter((l) => l.msg === 'request').length === sent, 5_000, 'access lines');
    const servedBy = new Set(served.lines.filter((l) => l.msg === 'request').map((l) => l.worker));
    expect(servedBy).toEqual(new Set([1, 2]));

    // Either worker answers /metrics for the whole set.
    for (let i = 0; i < 2; i++) {
      const metrics = await call(served.port, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(sample(metrics.text, 'switchyard_requests_total', { status: '200' })).toBe(sent);
      expect(sample(metrics.text, 'switchyard_overhead_seconds_count')).toBe(sent);
      expect(sample(metrics.text, 'switchyard_workers')).toBe(2);
      expect(sample(metrics.text, 'switchyard_state_store_up')).toBe(1);
      // One answer for the shared state, not one per worker.
      expect(sample(metrics.text, 'switchyard_credentials', { provider: 'openai' })).toBe(1);
    }

    // A 429 seen by one worker benches the key on the other: no upstream call from either.
    mock.fault({ format: 'openai', kind: 'status', status: 429, retryAfter: '60', times: 1 });
    const limited = await chat(served.port);
    expect(limited.status).toBe(429);
    const upstreamCalls = mock.requests.length;
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 4; i++) expect((await chat(served.port)).status).toBe(429);
    expect(mock.requests.length).toBe(upstreamCalls);

    // A management reload asked of one worker reaches the other.
    const applied = () => new Set(served.lines.filter((l) => l.msg === 'config applied').map((l) => l.worker));
    expect((await call(served.port, 'POST', '/v0/management/reload', undefined, MGMT)).status).toBe(200);
    await until(() => applied().size === 2, 10_000, 'both workers to reload');

    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(served.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: every worker stops accepting, requests in flight may finish', 'switchyard stopped']));
    // One state file, written by the primary, with every worker's results and the cooldown.
    const state = JSON.parse(await readFile(join(served.dir, 'auths/state.json'), 'utf8'));
    const [credential] = Object.values(state.credentials) as { counters: { successes: number; failures: number }; models: Record<string, unknown> }[];
    expect(credential!.counters.successes).toBe(sent);
    expect(credential!.models['gpt-4.1']).toMatchObject({ reason: 'quota', status: 429 });
  });

  it('continues a stored Responses conversation on either worker, and a delete on one holds on the other', async () => {
    const served = await serve(config(), ['--workers', '2']);
    const turn = (previous?: string) => call(served.port, 'POST', '/v1/responses', { model: 'gpt-4.1', input: 'hi', ...(previous ? { previous_response_id: previous } : {}) });
    let id = JSON.parse((await turn()).text).id as string;
    // Each turn on a new connection: consecutive ones land on different workers.
    for (let i = 0; i < 4; i++) {
      const next = await turn(id);
      expect(next.status, next.text).toBe(200);
      id = JSON.parse(next.text).id;
    }
    const lines = (endpoint: string, status: number) => served.lines.filter((l) => l.msg === 'request' && l.endpoint === endpoint && l.status === status);
    await until(() => lines('/v1/responses', 200).length === 5, 5_000, 'access lines');
    expect(new Set(lines('/v1/responses', 200).map((l) => l.worker))).toEqual(new Set([1, 2]));

    expect((await call(served.port, 'DELETE', `/v1/responses/${id}`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await call(served.port, 'GET', `/v1/responses/${id}`)).status).toBe(404);
    expect((await turn(id)).status).toBe(400);
    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
  });

  it('replaces a worker that dies, and the set’s counters do not go down', async () => {
    const served = await serve(config(), ['--workers', '2']);
    for (let i = 0; i < 6; i++) expect((await chat(served.port)).status).toBe(200);
    expect(sample((await call(served.port, 'GET', '/metrics')).text, 'switchyard_requests_total')).toBe(6);

    const [victim] = workerPids(served);
    process.kill(victim!, 'SIGKILL');
    await until(() => served.lines.filter((l) => l.msg === 'worker listening').length === 3, 20_000, 'a replacement worker');
    expect(served.lines.find((l) => l.msg === 'worker exited unexpectedly')).toMatchObject({ pid: victim, signal: 'SIGKILL' });

    const metrics = (await call(served.port, 'GET', '/metrics')).text;
    expect(sample(metrics, 'switchyard_requests_total')).toBe(6);
    expect(sample(metrics, 'switchyard_worker_restarts_total')).toBe(1);
    expect(sample(metrics, 'switchyard_workers')).toBe(2);
    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
    expect(workerPids(served).filter(alive)).toEqual([]);
  });

  it('exits 2 once for an invalid config, before forking, and for a bad --workers', async () => {
    const bad = await serve({ ...config(), port: 'not-a-port' }, ['--workers', '2'], () => false);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr().match(/port/g)?.length).toBeGreaterThan(0);
    expect(bad.stderr().split('\n').filter((l) => l.startsWith('switchyard:'))).toHaveLength(1);
    expect(bad.lines.filter((l) => l.msg === 'worker started')).toEqual([]);

    const usage = await serve(config(), ['--workers', 'many'], () => false);
    expect(await usage.exit).toBe(2);
    expect(usage.stderr()).toContain("--workers: expected a whole number of at least 1 or 'auto', got many");
  });

  it('gives up with exit 1, without replacing workers, when they cannot start (port in use)', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const busy = await serve(config({ port: (blocker.address() as AddressInfo).port }), ['--workers', '2'], () => false);
      expect(await busy.exit).toBe(1);
      expect(busy.stderr()).toContain('EADDRINUSE');
      expect(busy.lines.filter((l) => l.msg === 'a worker failed to start: stopping')).toHaveLength(1);
      expect(busy.lines.filter((l) => l.msg === 'worker started')).toHaveLength(2);
      expect(workerPids(busy).filter(alive)).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
