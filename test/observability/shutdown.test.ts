/**
 * Graceful shutdown of the built `switchyard serve`: on SIGTERM it refuses new connections,
 * lets a stream in flight finish, writes the credential state and exits 0; a stream still open
 * at `shutdownTimeout` ends with its format's error event instead of a clean end.
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, mockProviders, startHost } from '../helpers/host.js';
import { until } from '../helpers/plugins.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let mock: MockUpstream;
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The command under test is the built one.
  execSync('npx tsc -b', { cwd: repoRoot, stdio: 'pipe' });
  mock = await startMockUpstream();
});
afterEach(() => {
  mock.clearFaults();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await mock?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Served {
  child: ChildProcess;
  url: string;
  port: number;
  authDir: string;
  exit: Promise<number | null>;
  lines: Record<string, unknown>[];
}

/** Runs `switchyard serve` on a free port with the mock's providers; resolves once it listens. */
async function serve(extra: Record<string, unknown>): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-shutdown-'));
  dirs.push(dir);
  const file = join(dir, 'switchyard.yaml');
  await writeFile(file, stringify({ port: 0, apiKeys: [CLIENT_KEY], providers: mockProviders(mock), plugins: { enabled: false }, ...extra }));
  const child = spawn(process.execPath, [join(repoRoot, 'host/dist/cli/main.js'), 'serve', '--config', file], {
    env: { PATH: process.env.PATH, SWITCHYARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
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
  await until(() => lines.some((l) => l.msg === 'switchyard listening') || child.exitCode !== null, 15_000, 'switchyard serve to listen');
  const url = String(lines.find((l) => l.msg === 'switchyard listening')!.url);
  return { child, url, port: Number(new URL(url).port), authDir: join(dir, 'auths'), exit, lines };
}

/** Starts a streaming chat and resolves once its first bytes are in, with a promise of the whole text. */
async function startStream(url: string): Promise<{ body: Promise<string> }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  // Wrapped: an async function returning a bare promise would wait for it.
  const body = (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += decoder.decode(next.value, { stream: true });
    return text;
  })();
  return { body };
}

/** Whether a new TCP connection to `port` is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('switchyard serve: SIGTERM', () => {
  it('refuses new connections, lets the stream in flight finish, saves the state and exits 0', async () => {
    const served = await serve({});
    // Each chunk of the upstream stream takes 150 ms: the stream outlives the signal by about a second.
    mock.fault({ format: 'openai', kind: 'slow', delayMs: 150 });
    const { body } = await startStream(served.url);
    let finished = false;
    void body.then(() => (finished = true));
    served.child.kill('SIGTERM');
    await until(() => refused(served.port), 2_000, 'new connections to be refused');
    expect(finished).toBe(false);
    const text = await body;
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('"error"');
    expect(await served.exit).toBe(0);
    const state = JSON.parse(await readFile(join(served.authDir, 'state.json'), 'utf8'));
    expect(Object.values(state.credentials)).toContainEqual(expect.objectContaining({ counters: expect.objectContaining({ successes: 1 }) }));
    expect(served.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: no new connections, requests in flight may finish', 'switchyard stopped']));
  });

  it('ends a stream still open at shutdownTimeout with the error event of its format, then exits 0', async () => {
    const served = await serve({ shutdownTimeout: '300ms' });
    mock.fault({ format: 'openai', kind: 'slow', delayMs: 1_000 });
    const { body } = await startStream(served.url);
    const signalled = Date.now();
    served.child.kill('SIGTERM');
    const text = await body;
    expect(Date.now() - signalled).toBeLessThan(2_500);
    expect(text).toContain('"error":{"message":"The gateway is shutting down"');
    expect(text).not.toContain('[DONE]');
    expect(await served.exit).toBe(0);
    expect(existsSync(join(served.authDir, 'state.json'))).toBe(true);
  });

  it('answers a request still waiting for its upstream at the deadline with 503 in its format', async () => {
    const host = await startHost({ providers: mockProviders(mock) });
    dirs.push(host.dir);
    mock.fault({ format: 'openai', kind: 'slow', delayMs: 5_000 });
    const answer = fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await mock.waitFor((requests) => requests.some((r) => !r.finished && !r.aborted));
    const started = Date.now();
    await host.gateway.shutdown(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    const res = await answer;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { message: 'The gateway is shutting down', type: 'server_error', code: 'unavailable' } });
  });
});
