/**
 * `tsx bench/profile.ts [--stream] [--anthropic | --responses | --responses-anthropic]`: where a
 * host path's CPU goes against the bare pass-through's, part by part (system calls, the
 * collector, JSON, fastify, undici, zod, the host's own folders ...), in µs a request (or a
 * stream). The pass-through and a host serve the same load in alternate slices (32 connections,
 * PROFILE_ROUNDS slices of PROFILE_SECONDS each, every slice after 1 s of unmeasured load and the
 * first after a warm-up), their main threads profiled at 100 µs by `bench/profiler.mjs`. The
 * profiles are kept in a temporary folder for a flame graph (Chrome DevTools, speedscope).
 * A sampling profiler charges small functions more than they cost; the parts are for comparing
 * the two processes, whose totals are also given from /proc, the threads besides the main one
 * apart (the profiler's own sampling thread among them). PROFILE_DETAIL=<text> lists the
 * functions of the parts whose names contain it.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { askedPath } from './asked.js';
import { chatBody } from './body.js';
import { type Endpoint, settle, statCpuMs, throughput } from './measure.js';
import { HOST_KEY, startHost, startMock, startPassthrough } from './processes.js';

const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 3);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 4);
const stream = process.argv.includes('--stream');

interface CallFrame {
  functionName: string;
  url: string;
}
interface Profile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

/** Packages named as parts of their own; every other package is "other packages". */
const PACKAGES: Record<string, string> = {
  fastify: 'fastify',
  '@fastify': 'fastify',
  'find-my-way': 'fastify',
  avvio: 'fastify',
  'light-my-request': 'fastify',
  'fast-json-stringify': 'fastify',
  undici: 'undici',
  zod: 'zod (validating requests, and events a stream decodes)',
  'secure-json-parse': 'JSON parse and stringify',
  pino: 'pino (logging)',
  'sonic-boom': 'pino (logging)',
  piscina: 'piscina (plugin calls)',
};
/** Native functions that are system calls on sockets and files. */
const WRITES = new Set(['writev', 'writeBuffer', 'writeBuffers', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeString']);

/** The part of the gateway (or of Node) a profiled function belongs to. */
function partOf({ functionName, url }: CallFrame): string | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collector (main thread)';
  if (functionName === '(program)') return 'native code outside JS (libuv, V8 runtime)';
  if (url === '' && WRITES.has(functionName)) return 'system calls: socket and file writes';
  if (url.startsWith('wasm://')) return 'undici'; // llhttp, undici's HTTP parser
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return PACKAGES[pkg] ?? PACKAGES[pkg.split('/')[0]!] ?? 'other packages';
  if (url.startsWith('node:')) return 'Node (http, net, streams, timers)';
  if (url.endsWith('/formats/json-body.js')) return 'JSON parse and stringify';
  const inHost = url.split('/host/dist/')[1];
  if (inHost !== undefined) {
    const [folder, sub] = inHost.split('/');
    if (folder === 'core' && sub === 'state') return 'host: core/state (stored responses, shared state)';
    return `host: ${sub === undefined ? folder!.replace(/\.js$/, '') : folder}`;
  }
  if (url.includes('/plugin-sdk/')) return 'plugin SDK';
  if (url.includes('/bench/')) return 'the pass-through\'s own code';
  return 'V8 builtins and unattributed';
}

const DETAIL = process.env.PROFILE_DETAIL;

/** Adds `profile`'s self time, µs, to each part's, and to each function's of the parts PROFILE_DETAIL names. */
function tally(profile: Profile, parts: Map<string, number>, functions: Map<string, number>): void {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const add = (into: Map<string, number>, key: string, us: number) => into.set(key, (into.get(key) ?? 0) + us);
  for (const [i, id] of profile.samples.entries()) {
    const frame = frames.get(id)!;
    const part = partOf(frame);
    if (!part) continue;
    add(parts, part, profile.timeDeltas[i] ?? 0);
    if (DETAIL && part.includes(DETAIL)) add(functions, `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|host\/dist)\//, '')}`, profile.timeDeltas[i] ?? 0);
  }
}

/** CPU ms of each thread of `pid` so far, the main thread first; 0 for one that ended while being read. */
async function threadsMs(pid: number): Promise<number[]> {
  const tasks = (await readdir(`/proc/${pid}/task`)).map(Number).sort((a, b) => (a === pid ? -1 : b === pid ? 1 : a - b));
  return Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').then(statCpuMs, () => 0)));
}

interface Served {
  name: string;
  pid: number;
  endpoint: Endpoint;
  body: string;
  requests: number;
  cpuMs: number;
  mainMs: number;
  parts: Map<string, number>;
  functions: Map<string, number>;
}

const dir = await mkdtemp(join(tmpdir(), 'switchyard-profile-'));
process.env.BENCH_PROFILE_DIR = dir;
const profiler = ['--import', new URL('./profiler.mjs', import.meta.url).pathname];
const mock = await startMock();
const children = [mock];
try {
  const asked = askedPath(process.argv, mock.url);
  const passthrough = await startPassthrough(`${mock.url}/openai/v1`, false, profiler);
  children.push(passthrough);
  const host = await startHost(mock.url, 18335, { extra: asked.providers && { providers: asked.providers }, nodeArgs: profiler });
  children.push(host);
  const served: Served[] = [
    { name: 'pass-through', pid: passthrough.pid, endpoint: { origin: passthrough.url, path: '/v1/chat/completions', headers: {} }, body: chatBody('gpt-4.1', stream) },
    { name: 'host', pid: host.pid, endpoint: { origin: host.url, path: asked.path, headers: { authorization: `Bearer ${HOST_KEY}`, ...asked.headers } }, body: asked.body },
  ].map((s) => ({ ...s, requests: 0, cpuMs: 0, mainMs: 0, parts: new Map(), functions: new Map() }));
  for (const s of served) await settle(s.endpoint, s.body, 32, 2);
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 === 0 ? served : [...served].reverse()) {
      await settle(s.endpoint, s.body, 32, 1);
      const before = await threadsMs(s.pid);
      process.kill(s.pid, 'SIGUSR2');
      const t = await throughput(s.endpoint, s.body, 32, SECONDS, s.pid);
      process.kill(s.pid, 'SIGUSR2');
      const after = await threadsMs(s.pid);
      if (t.errors > 0 || t.non2xx > 0) throw new Error(`${s.name}: ${t.errors} errors, ${t.non2xx} answers not 2xx`);
      s.requests += t.rps * SECONDS;
      s.cpuMs += after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0);
      s.mainMs += after[0]! - before[0]!;
      const file = join(dir, `${s.pid}-${round}.cpuprofile`);
      for (let i = 0; !(await readdir(dir)).includes(basename(file)); i++) {
        if (i > 200) throw new Error(`${s.name}: no profile written`);
        await new Promise((r) => setTimeout(r, 50));
      }
      tally(JSON.parse(await readFile(file, 'utf8')) as Profile, s.parts, s.functions);
    }
  }
  report(served);
  process.stdout.write(`\nProfiles (one per slice, <pid>-<round>.cpuprofile; pass-through pid ${passthrough.pid}, host pid ${host.pid}): ${dir}\n`);
} finally {
  await Promise.all(children.map((c) => c.stop()));
}

/** The table: each part's µs a request in both processes and the difference, largest difference first. */
function report([pass, host]: Served[]): void {
  const unit = stream ? 'stream' : 'request';
  const per = (s: Served, us: number) => us / s.requests;
  const rows = (of: (s: Served) => Map<string, number>) =>
    [...new Set([...of(pass!).keys(), ...of(host!).keys()])]
      .map((name) => [name, per(pass!, of(pass!).get(name) ?? 0), per(host!, of(host!).get(name) ?? 0)] as const)
      .sort((a, b) => b[2] - b[1] - (a[2] - a[1]));
  const sum = (s: Served) => [...s.parts.values()].reduce((a, b) => a + b, 0) / s.requests;
  const f = (n: number) => n.toFixed(1);
  const row = ([name, p, h]: readonly [string, number, number]) => `| ${name} | ${f(p)} | ${f(h)} | ${h >= p ? '+' : '−'}${f(Math.abs(h - p))} |`;
  const lines = [
    `| part (µs a ${unit}, main thread, self time) | pass-through | host | host − pass-through |`,
    '|---|---|---|---|',
    ...rows((s) => s.parts).map(row),
    `| **profiled, main thread** | ${f(sum(pass!))} | ${f(sum(host!))} | +${f(sum(host!) - sum(pass!))} |`,
    `| main thread, /proc | ${f((pass!.mainMs * 1000) / pass!.requests)} | ${f((host!.mainMs * 1000) / host!.requests)} | |`,
    `| other threads, /proc (the profiler's sampler, collector helpers, plugin workers) | ${f(((pass!.cpuMs - pass!.mainMs) * 1000) / pass!.requests)} | ${f(((host!.cpuMs - host!.mainMs) * 1000) / host!.requests)} | |`,
    `| **process CPU, /proc** | ${f((pass!.cpuMs * 1000) / pass!.requests)} | ${f((host!.cpuMs * 1000) / host!.requests)} | ${f(host!.cpuMs / host!.requests / (pass!.cpuMs / pass!.requests))}x |`,
  ];
  if (DETAIL) {
    lines.push('', `| function in a part matching "${DETAIL}" | pass-through | host | host − pass-through |`, '|---|---|---|---|');
    lines.push(...rows((s) => s.functions).slice(0, 30).map(row));
  }
  process.stdout.write(`${lines.join('\n')}\n\n${f(pass!.requests / ROUNDS / SECONDS)} and ${f(host!.requests / ROUNDS / SECONDS)} ${unit}s a second (pass-through, host), profiled.\n`);
}
