/**
 * Child processes of the bench: the mock upstream, the bare pass-through and gateway hosts, each
 * in its own process so none shares another's event loop (they do share the machine's cores,
 * as a real deployment's load generator would not: the numbers are conservative).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';

const ROOT = new URL('..', import.meta.url).pathname;

export interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
}

/**
 * The Node flags the `switchyard` command of the checkout at `root` runs with: its bin's shebang's
 * (`#!/usr/bin/env -S node --no-memory-reducer`), none for an older build whose shebang has none.
 * The bench starts `host/dist/cli/main.js` itself, so it can add flags of its own (`--cpu-prof`).
 */
export async function commandFlags(root = ROOT): Promise<string[]> {
  const shebang = (await readFile(join(root, 'host/bin/switchyard.js'), 'utf8')).split('\n', 1)[0]!;
  const words = shebang.replace(/^#!\S*\benv(\s+-S)?\s+/, '').split(/\s+/);
  return words[0] === 'node' ? words.slice(1) : [];
}

/**
 * Starts a TypeScript script that prints `{"url": ...}` when ready (in node itself, so `pid` is the process that serves),
 * with `flags` for Node.
 */
async function startScript(script: string, args: string[], flags: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(ROOT, 'bench', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, pid: child.pid!, stop: stopper(child) };
}

export const startMock = (chunkDelayMs = 0) => startScript('mock-server.ts', [String(chunkDelayMs)]);
/**
 * The bare pass-through; `hop`: with one bare worker round trip per request. It runs with the
 * switchyard command's Node flags, so the floor and the hosts differ in their code only;
 * `nodeArgs` adds to them (`bench/profile.ts`'s profiler).
 */
export const startPassthrough = async (upstreamBase: string, hop = false, nodeArgs: string[] = []) =>
  startScript('passthrough.ts', hop ? [upstreamBase, '--hop'] : [upstreamBase], [...(await commandFlags()), ...nodeArgs]);

export const HOST_KEY = 'bench-client-key';

/** What a bench host runs with besides the mock provider. */
export interface HostOptions {
  /** Plugins dir (default: an empty one). */
  plugins?: string;
  /** Checkout whose built CLI runs (default BENCH_HOST_ROOT, else this one). */
  root?: string;
  /** `state:` config (default the memory store). */
  state?: Record<string, unknown>;
  /** `serve --workers`. */
  workers?: number;
  /** More config keys, for experiments. */
  extra?: Record<string, unknown>;
  /** Node flags for the host process besides the command's own (`--cpu-prof` for a flame graph); BENCH_HOST_NODE_ARGS adds to them. */
  nodeArgs?: string[];
}

/**
 * Starts `switchyard serve` (the built CLI of the checkout at `options.root`, this one by
 * default, with the Node flags its command runs with) with a config serving gpt-4.1 from the mock.
 */
export async function startHost(mockUrl: string, port: number, options: HostOptions = {}): Promise<Child> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
  // BENCH_HOST_ROOT runs every host of a bench from another (built) checkout: the same bench, an older build.
  const root = options.root ?? process.env.BENCH_HOST_ROOT ?? ROOT;
  const config = {
    host: '127.0.0.1',
    port,
    apiKeys: [HOST_KEY],
    authDir: join(dir, 'auths'),
    providers: [{ name: 'openai', type: 'openai', baseUrl: `${mockUrl}/openai/v1`, apiKeys: ['bench-upstream'], models: ['gpt-4.1'] }],
    plugins: { dir: options.plugins ?? join(dir, 'no-plugins') },
    ...(options.state ? { state: options.state } : {}),
    ...options.extra,
  };
  await writeFile(join(dir, 'switchyard.yaml'), stringify(config));
  const workers = options.workers === undefined ? [] : ['--workers', String(options.workers)];
  const nodeArgs = [...(await commandFlags(root)), ...(options.nodeArgs ?? []), ...(process.env.BENCH_HOST_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'host/dist/cli/main.js'), 'serve', '--config', join(dir, 'switchyard.yaml'), ...workers], {
    // BENCH_HOST_STDOUT shows what V8 prints there (`BENCH_HOST_NODE_ARGS=--trace-gc-nvp`: each GC, with what it promoted).
    stdio: ['ignore', process.env.BENCH_HOST_STDOUT ? 'inherit' : 'ignore', 'inherit'],
    env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`host exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error('host did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, pid: child.pid!, stop: stopper(child) };
}

/** Resident set size of a process, MB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * Resident set size of a process and its child processes, MB: a `serve --workers` host's
 * primary with its worker processes (plugin workers are threads, already in their process's).
 */
export async function treeRssMb(pid: number): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).split(' ').filter(Boolean).map(Number);
  // A child may exit between the listing and the read: it holds nothing then.
  const sizes = await Promise.all(children.map((child) => rssMb(child).catch(() => 0)));
  return sizes.reduce((sum, size) => sum + size, await rssMb(pid));
}

/** The host's event-loop lag p99 since its previous scrape, ms. */
export async function loopLagP99Ms(hostUrl: string): Promise<number> {
  const text = await (await fetch(`${hostUrl}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
}

/** A redis-server of its own (no persistence) on `port`, for the Redis store paths. */
export async function startRedisServer(port: number): Promise<Child> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, pid: child.pid!, stop: stopper(child) };
}
