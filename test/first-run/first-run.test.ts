/**
 * First run (issue 14): after `npm install`, `npx switchyard ...` works, since npm links a bin
 * only if its file exists at install time, before anything is built; and `npm start` stopped
 * with SIGTERM (or a terminal's Ctrl-C) stops the gateway too, gracefully, instead of leaving it
 * running on its port behind npm's shell.
 */
import { type ChildProcess, execFile, execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const groups: number[] = [];

beforeAll(() => {
  // What npm start and the bin run is the built gateway: build it here, outside the timed parts.
  execSync('npx tsc -b', { cwd: root, stdio: 'pipe' });
}, 180_000);
afterEach(() => {
  // Whatever a failed test left running: npm and everything under it share one process group.
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the switchyard bin', () => {
  it('is a committed file that npm links at install, before the build', () => {
    const host = JSON.parse(readFileSync(join(root, 'host/package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = host.bin.switchyard!;
    expect(bin, 'dist/ does not exist when npm links bins').not.toMatch(/^(\.\/)?dist\//);
    // `npm ci` links the bin the lockfile records, not the one in host/package.json.
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: unknown }> };
    expect(lock.packages.host!.bin).toEqual(host.bin);
    const file = join(root, 'host', bin);
    // Node with the flags the gateway needs (see the file's comment), two of which NODE_OPTIONS cannot carry.
    expect(readFileSync(file, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env -S node --no-memory-reducer --no-allocation-site-pretenuring --max-semi-space-size=32');
    expect(statSync(file).mode & 0o111, `${file} is executable`).not.toBe(0);
  });

  it('npx switchyard --help prints the usage', async () => {
    const link = join(root, 'node_modules/.bin/switchyard');
    expect(existsSync(link), `${link} exists (run npm install)`).toBe(true);
    const { stdout, stderr } = await promisify(execFile)(link, ['--help'], { cwd: root, timeout: 60_000 });
    expect(stdout).toContain('Usage:');
    expect(stdout).toContain('switchyard serve [--config FILE]');
    expect(stderr).toBe('');
  });
});

describe('npm start', () => {
  let upstream: Server;
  let arrived: () => void = () => {};

  beforeAll(async () => {
    // An upstream that never answers: a request to it is in flight until the drain deadline.
    upstream = createServer(() => arrived());
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
  });
  afterAll(() => {
    upstream?.closeAllConnections();
    upstream?.close();
  });

  interface Started {
    npm: ChildProcess;
    port: number;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    lines: Record<string, unknown>[];
  }

  /** `npm start` with a config on a free port, in a process group of its own; resolves once /healthz answers. */
  async function npmStart(): Promise<Started> {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-first-run-'));
    dirs.push(dir);
    const { port: upstreamPort } = upstream.address() as { port: number };
    const config = {
      port: 0,
      shutdownTimeout: '2s',
      plugins: { enabled: false },
      providers: [{ name: 'stuck', type: 'openai', baseUrl: `http://127.0.0.1:${upstreamPort}/v1`, apiKeys: ['k'], models: ['stuck'] }],
    };
    await writeFile(join(dir, 'switchyard.yaml'), stringify(config));
    const env = { ...process.env, SWITCHYARD_CONFIG: join(dir, 'switchyard.yaml'), SWITCHYARD_LOG_LEVEL: 'info' };
    delete env.SWITCHYARD_PORT;
    delete env.SWITCHYARD_API_KEYS;
    const npm = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.push(npm.pid!);
    const exit = once(npm, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    const lines: Record<string, unknown>[] = [];
    let output = '';
    let pending = '';
    npm.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const port = await new Promise<number>((resolve, reject) => {
      npm.stdout!.on('data', (chunk: Buffer) => {
        output += chunk;
        pending += chunk;
        const complete = pending.split('\n');
        pending = complete.pop()!;
        for (const text of complete) {
          if (!text.startsWith('{')) continue;
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (line.msg === 'switchyard listening') resolve(Number(new URL(String(line.url)).port));
        }
      });
      void exit.then(({ code, signal }) => reject(new Error(`npm start ended (${code ?? signal}) before the gateway listened:\n${output}`)));
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`/healthz did not answer:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { npm, port, exit, lines };
  }

  /**
   * A chat request the gateway holds open waiting for the upstream; resolves once it is upstream,
   * with its status (or why it failed) to come.
   */
  async function inFlight(port: number): Promise<{ status: Promise<number | string> }> {
    const upstreamReached = new Promise<void>((resolve) => (arrived = resolve));
    const status = fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stuck', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(
      (r) => r.status,
      (err: Error) => `failed: ${err.message}`,
    );
    await upstreamReached;
    return { status };
  }

  /** The live processes of process group `pgid`, from /proc. */
  function members(pgid: number): number[] {
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // After the command's closing parenthesis: state, ppid, pgrp.
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
      } catch {
        // ended while we looked
      }
    }
    return out;
  }

  /** The arguments process `pid` was started with, from /proc. */
  function commandLine(pid: number): string[] {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      return []; // ended while we looked
    }
  }

  async function portFree(port: number): Promise<boolean> {
    const probe = createNetServer();
    return new Promise((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  }

  /** Polls `check` until it holds, for at most `ms`. */
  async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await check()) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Signals the way the test says, then checks the gateway drained, exited 0 and left nothing behind. */
  async function stopsGracefully(signal: (started: Started) => void): Promise<void> {
    const started = await npmStart();
    const { npm, port, exit, lines } = started;
    const pgid = npm.pid!;
    // npm and the gateway (npm start execs node in place of the shell).
    expect(members(pgid).length).toBeGreaterThanOrEqual(2);
    // The gateway runs the bin with the Node flags of its shebang.
    expect(members(pgid).map(commandLine)).toContainEqual(expect.arrayContaining(['--no-memory-reducer', '--no-allocation-site-pretenuring', '--max-semi-space-size=32', expect.stringMatching(/(^|\/)host\/bin\/switchyard\.js$/)]));
    const request = await inFlight(port);
    signal(started);
    expect(await within(15_000, () => portFree(port)), `port ${port} is free again`).toBe(true);
    expect(await within(15_000, () => members(pgid).length === 0), 'npm and the gateway have ended').toBe(true);
    // npm waited for the gateway, which exited 0: a second signal would have made it exit 1 at once.
    expect(await exit).toEqual({ code: 0, signal: null });
    // The drain deadline ended the request with 503 rather than the process dropping it.
    expect(await request.status).toBe(503);
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('shutting down: no new connections, requests in flight may finish');
    expect(messages).toContain('switchyard stopped');
  }

  it('stopped with SIGTERM, stops the gateway: it drains, frees the port and leaves no process', async () => {
    await stopsGracefully(({ npm }) => npm.kill('SIGTERM'));
  }, 120_000);

  it("a terminal's Ctrl-C (SIGINT to the whole group, which npm forwards once more) stops it once, gracefully", async () => {
    await stopsGracefully(({ npm }) => process.kill(-npm.pid!, 'SIGINT'));
  }, 120_000);
});
