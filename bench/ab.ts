/**
 * `tsx bench/ab.ts <other checkout> [--stream] [--latency] [--router | --interceptor] [--anthropic | --responses | --responses-anthropic]`:
 * this checkout's host against another checkout's (built; e.g. a `git worktree` of main: give
 * it a node_modules of its own, or at least its own `@switchyard` links, since a worktree that
 * links this checkout's node_modules runs this checkout's plugin SDK and worker runtime), with
 * the bare pass-through for scale, in interleaved rounds: throughput at 32 connections and the
 * CPU each serving process spent per request, medians over the rounds. A change too small to
 * see across two `npm run bench` runs on a noisy machine shows here, since both builds face the
 * same minutes.
 * The hosts' path is chosen as `bench/asked.ts` says; the pass-through always relays Chat Completions.
 * Each line also gives the best round (most req/s, least CPU per request): noise on a shared
 * machine only slows rounds down, so on a noisy one the best rounds compare better than medians.
 * With `--latency` a round is instead AB_COUNT requests per path one after another on one
 * connection each, every path asked in turns, and the lines give the median of the rounds' p50s
 * (what the bench's router hop check compares); the pass-through making the bare worker round
 * trip is measured too, for the hop's floor, and with a plugin this checkout's host without it,
 * for the plugin's hop.
 * Env: AB_ROUNDS (default 5), AB_SECONDS (default 3), AB_COUNT (default 2000), AB_EXTRA (config
 * keys for this checkout's host, as JSON: `{"logging":{"requests":0}}`), AB_NODE_ARGS (Node flags
 * for this checkout's host only: `--min-semi-space-size=16`), AB_IDLE (seconds of quiet before
 * each counted slice or latency round, default 0: what a host costs when traffic comes back after
 * a pause), AB_SETTLE (seconds of unmeasured load before each counted slice or latency round,
 * default 0, as `npm run bench` does after its hosts' pauses).
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { askedPath } from './asked.js';
import { chatBody } from './body.js';
import { type Endpoint, type Throughput, inTurns, median, settle, summarise, throughput } from './measure.js';
import { TURN } from './paths.js';
import { type Child, HOST_KEY, startHost, startMock, startPassthrough } from './processes.js';

const other = process.argv[2];
if (!other || other.startsWith('--')) throw new Error('usage: tsx bench/ab.ts <other checkout> [--stream] [--latency] [--router | --interceptor] [--anthropic | --responses | --responses-anthropic]');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 5);
const SECONDS = Number(process.env.AB_SECONDS ?? 3);
const IDLE_MS = Number(process.env.AB_IDLE ?? 0) * 1000;
const SETTLE = Number(process.env.AB_SETTLE ?? 0);
const COUNT = Number(process.env.AB_COUNT ?? 2000);
const flag = (name: string) => process.argv.includes(name);
const stream = flag('--stream');
const latency = flag('--latency');

/** A plugins dir with the no-op router or the no-op stream interceptor, when asked for one. */
async function plugins(): Promise<string | undefined> {
  const plugin = flag('--router') ? 'noop-router' : flag('--interceptor') ? 'noop-stream' : undefined;
  if (!plugin) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ab-'));
  await cp(new URL(`./plugins/${plugin}`, import.meta.url).pathname, join(dir, plugin), { recursive: true });
  return dir;
}

/** A measured path: its name, where it is asked, the body it is sent and the process that serves it. */
type AbPath = [name: string, endpoint: Endpoint, body: string, pid: number];

const mock = await startMock();
const children: Child[] = [mock];
try {
  const asked = askedPath(process.argv, mock.url);
  const providers = asked.providers && { providers: asked.providers };
  const extra = process.env.AB_EXTRA ? (JSON.parse(process.env.AB_EXTRA) as Record<string, unknown>) : undefined;
  const nodeArgs = process.env.AB_NODE_ARGS?.split(' ').filter(Boolean);
  const passthrough = await startPassthrough(`${mock.url}/openai/v1`);
  const hopPassthrough = latency ? await startPassthrough(`${mock.url}/openai/v1`, true) : undefined;
  if (hopPassthrough) children.push(hopPassthrough);
  const theirs = await startHost(mock.url, 18331, { plugins: await plugins(), root: resolve(other), extra: providers });
  const ours = await startHost(mock.url, 18332, { plugins: await plugins(), extra: { ...providers, ...extra }, nodeArgs });
  children.push(passthrough, theirs, ours);
  // Latency with a plugin: this checkout's host without it too, so the plugin's hop reads off directly.
  const plain = latency && (flag('--router') || flag('--interceptor')) ? await startHost(mock.url, 18333, { extra: { ...providers, ...extra } }) : undefined;
  if (plain) children.push(plain);
  const host = (url: string): Endpoint => ({ origin: url, path: asked.path, headers: { authorization: `Bearer ${HOST_KEY}`, ...asked.headers } });
  const bare = (url: string): Endpoint => ({ origin: url, path: '/v1/chat/completions', headers: {} });
  const paths: AbPath[] = [
    ['bare pass-through', bare(passthrough.url), chatBody('gpt-4.1', stream), passthrough.pid],
    ...(hopPassthrough ? [['bare pass-through + bare worker hop', bare(hopPassthrough.url), chatBody('gpt-4.1', stream), hopPassthrough.pid] satisfies AbPath] : []),
    [`other (${other})`, host(theirs.url), asked.body, theirs.pid],
    ['this checkout', host(ours.url), asked.body, ours.pid],
    ...(plain ? [['this checkout, no plugin', host(plain.url), asked.body, plain.pid] satisfies AbPath] : []),
  ];
  if (latency) await latencyRounds(paths);
  else await throughputRounds(paths);
} finally {
  await Promise.all(children.map((c) => c.stop()));
}

/**
 * Measures every path's throughput in ROUNDS interleaved rounds (the order reversed every other
 * round) after an uncounted warm-up round, AB_IDLE of quiet before each counted slice. Returns
 * each path's counted results.
 */
async function interleaved<T>(paths: readonly AbPath[], measure: (path: AbPath, warmUp: boolean) => Promise<T>): Promise<T[][]> {
  const results = paths.map((): T[] => []);
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? [...paths.keys()].reverse() : [...paths.keys()];
    for (const i of order) {
      if (round > 0 && IDLE_MS > 0) await new Promise((r) => setTimeout(r, IDLE_MS));
      const result = await measure(paths[i]!, round === 0);
      if (round > 0) results[i]!.push(result);
    }
  }
  return results;
}

/**
 * Sequential requests in ROUNDS rounds after an uncounted warm-up one, every path asked in turns
 * within a round (as `npm run bench` asks its paths, so a swing of the machine falls on all of
 * them alike), AB_IDLE of quiet and AB_SETTLE of load on each path first; prints each path's
 * median p50 and what it adds to the pass-through's.
 */
async function latencyRounds(paths: readonly AbPath[]): Promise<void> {
  const endpoints = paths.map(([, endpoint]) => endpoint);
  const bodies = paths.map(([, , body]) => body);
  await inTurns(endpoints, bodies, 500, TURN, 0);
  const p50s = paths.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    if (IDLE_MS > 0) await new Promise((r) => setTimeout(r, IDLE_MS));
    for (const [, endpoint, body] of paths) await settle(endpoint, body, 32, SETTLE);
    const samples = await inTurns(endpoints, bodies, COUNT, TURN, 100);
    for (const [i, s] of samples.entries()) p50s[i]!.push(summarise(s).p50);
  }
  const base = median(p50s[0]!);
  for (const [i, [name]] of paths.entries()) {
    const p50 = median(p50s[i]!);
    const spread = `${Math.min(...p50s[i]!).toFixed(0)}–${Math.max(...p50s[i]!).toFixed(0)}`;
    process.stdout.write(`${name.padEnd(40)} p50 ${p50.toFixed(0).padStart(5)} µs (rounds ${spread})  ${p50 >= base ? '+' : '−'}${Math.abs(p50 - base).toFixed(0)} µs against the pass-through\n`);
  }
}

/** Throughput at 32 connections a round, with the CPU each serving process spent per request. */
async function throughputRounds(paths: readonly AbPath[]): Promise<void> {
  const results = await interleaved(paths, async ([name, endpoint, body, pid]) => {
    const t = await throughput(endpoint, body, 32, SECONDS, pid, SETTLE);
    if (t.errors > 0 || t.non2xx > 0) throw new Error(`${name}: ${t.errors} errors, ${t.non2xx} answers not 2xx`);
    return t;
  });
  const passRps = median(results[0]!.map((t) => t.rps));
  const passCpu = median(results[0]!.map((t) => t.cpuUs ?? 0));
  for (const [i, [name]] of paths.entries()) {
    const rps = median(results[i]!.map((t) => t.rps));
    const cpu = median(results[i]!.map((t) => t.cpuUs ?? 0));
    // On a shared machine noise only ever slows a round down: the best round is the least disturbed.
    const best = Math.max(...results[i]!.map((t) => t.rps));
    const leanest = Math.min(...results[i]!.map((t) => t.cpuUs ?? Infinity));
    process.stdout.write(
      `${name.padEnd(40)} ${rps.toFixed(0).padStart(6)} req/s  ${(rps / passRps).toFixed(2)}x pass-through  ${cpu.toFixed(0).padStart(5)} CPU µs/req (${(cpu / passCpu).toFixed(2)}x)  (best round ${best.toFixed(0)} req/s, ${leanest.toFixed(0)} µs/req)\n`,
    );
  }
}
