/**
 * The paths `npm run bench` measures: direct to the mock, the bare pass-through, and hosts with
 * and without plugins, stores and translation; a smoke test that each answers as it should;
 * and the interleaved rounds that measure them.
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { anthropicBody, chatBody, responsesBody } from './body.js';
import { type Endpoint, type Throughput, inTurns, median, sequential, settle, summarise, throughput } from './measure.js';
import { type Child, HOST_KEY, rssMb, startHost, startRedisServer } from './processes.js';
import type { PathResult } from './report.js';

const BENCH_PLUGINS = new URL('./plugins/', import.meta.url).pathname;
const CONNECTIONS = 32;

/** A client wire format: where it posts, how it authenticates, its body, and how a good answer of it looks. */
interface ClientFormat {
  path: string;
  /** The headers this format's SDK sends with a key. */
  headers: (key: string) => Record<string, string>;
  body: (model: string, stream: boolean) => string;
  /** Whether a parsed non-stream answer is this format's. */
  isAnswer: (answer: Record<string, unknown>) => boolean;
  /** What the last event of a complete stream contains. */
  lastEvent: string;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const CHAT: ClientFormat = { path: '/v1/chat/completions', headers: bearer, body: chatBody, isAnswer: (a) => a.object === 'chat.completion', lastEvent: 'data: [DONE]' };
const RESPONSES: ClientFormat = { path: '/v1/responses', headers: bearer, body: responsesBody, isAnswer: (a) => a.object === 'response', lastEvent: 'response.completed' };
const ANTHROPIC: ClientFormat = {
  path: '/v1/messages',
  headers: (key) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
  body: anthropicBody,
  isAnswer: (a) => a.type === 'message',
  lastEvent: 'message_stop',
};

/** One measured path. */
export interface BenchPath {
  name: string;
  endpoint: Endpoint;
  /** The process that serves the path, whose CPU time is counted (its threads and children included). */
  pid: number;
  format: ClientFormat;
  model: string;
  /** The mock tags its answer with the format and model it was asked in: proof the right upstream answered. */
  upstreamTag: string;
}

/** The pass-through that makes one bare worker round trip per request (`passthrough.ts --hop`). */
export const BARE_HOP_PATH = 'bare pass-through + bare worker hop';

const OPENAI_UPSTREAM = { model: 'gpt-4.1', upstreamTag: '[openai:gpt-4.1]' };
const ANTHROPIC_UPSTREAM = { model: 'claude-sonnet-4-6', upstreamTag: '[anthropic:claude-sonnet-4-6]' };

/** A plugins dir holding the given bench plugins. */
export async function pluginsDir(names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-plugins-'));
  for (const name of names) await cp(join(BENCH_PLUGINS, name), join(dir, name), { recursive: true });
  return dir;
}

/**
 * Starts every host (and the redis-server) the paths need and lists the paths. `idleHostMb` is the plain host's RSS
 * after a second idle, read before the other hosts start.
 */
export async function startPaths(mock: Child, passthrough: Child, passthroughHop: Child): Promise<{ paths: BenchPath[]; children: Child[]; idleHostMb: number }> {
  const children: Child[] = [];
  const start = async (port: number, options?: Parameters<typeof startHost>[2]) => {
    const host = await startHost(mock.url, port, options);
    children.push(host);
    return host;
  };
  const host = await start(18317);
  await new Promise((r) => setTimeout(r, 1000));
  const idleHostMb = await rssMb(host.pid);
  const routed = await start(18318, { plugins: await pluginsDir(['noop-router']) });
  const intercepted = await start(18319, { plugins: await pluginsDir(['noop-stream']) });
  const redis = await startRedisServer(18379);
  children.push(redis);
  const shared = await start(18323, { state: { store: 'redis', url: redis.url, keyPrefix: 'bench:' } });
  const workers = await start(18324, { workers: 2 });
  const anthropicProvider = { name: 'anthropic', type: 'anthropic', baseUrl: `${mock.url}/anthropic/v1`, apiKeys: ['bench-upstream'], models: [ANTHROPIC_UPSTREAM.model] };
  const toAnthropic = await start(18325, { extra: { providers: [anthropicProvider] } });
  // Every path has a process of its own. A round asks the paths in turns, and a process asked for
  // several (the plain host once served Chat Completions, Responses and Anthropic clients) is
  // asked more often and answers sooner than one asked for one (probably: more of it stays in the
  // caches); that made the router hop 150–250 µs worse than its floor (bench/NOTES.md, thirteenth session).
  const responses = await start(18326);
  const anthropic = await start(18327);
  const at = (child: Child, format = CHAT): Pick<BenchPath, 'endpoint' | 'pid' | 'format'> => ({
    endpoint: { origin: child.url, path: format.path, headers: format.headers(HOST_KEY) },
    pid: child.pid,
    format,
  });
  const paths: BenchPath[] = [
    { name: 'direct', endpoint: { origin: mock.url, path: '/openai/v1/chat/completions', headers: bearer('bench-upstream') }, pid: mock.pid, format: CHAT, ...OPENAI_UPSTREAM },
    { name: 'bare pass-through', endpoint: { origin: passthrough.url, path: '/v1/chat/completions', headers: {} }, pid: passthrough.pid, format: CHAT, ...OPENAI_UPSTREAM },
    // The floor of a plugin hop where a router runs: inside a serving process, between its requests.
    { name: BARE_HOP_PATH, endpoint: { origin: passthroughHop.url, path: '/v1/chat/completions', headers: {} }, pid: passthroughHop.pid, format: CHAT, ...OPENAI_UPSTREAM },
    { name: 'switchyard', ...at(host), ...OPENAI_UPSTREAM },
    { name: 'switchyard + no-op router plugin', ...at(routed), ...OPENAI_UPSTREAM },
    { name: 'switchyard + stream interceptor plugin', ...at(intercepted), ...OPENAI_UPSTREAM },
    // Responses clients: translated to the Chat Completions upstream and back.
    { name: 'switchyard, Responses in', ...at(responses, RESPONSES), ...OPENAI_UPSTREAM },
    // Translated both ways, the request to the upstream's format and the answer back to the client's.
    { name: 'switchyard, Anthropic in → OpenAI upstream', ...at(anthropic, ANTHROPIC), ...OPENAI_UPSTREAM },
    { name: 'switchyard, Responses in → Anthropic upstream', ...at(toAnthropic, RESPONSES), ...ANTHROPIC_UPSTREAM },
    // State shared through Redis (the store's own CPU not counted: it is another machine's in a deployment).
    { name: 'switchyard, Redis store', ...at(shared), ...OPENAI_UPSTREAM },
    // Two serving processes on this 2-core machine; CPU counts the primary and both workers.
    { name: 'switchyard --workers 2', ...at(workers), ...OPENAI_UPSTREAM },
  ];
  return { paths, children, idleHostMb };
}

/** What is wrong with one answer of `path`, or undefined when nothing is. */
function problem(path: BenchPath, stream: boolean, status: number, type: string, text: string): string | undefined {
  if (status !== 200) return `status ${status}: ${text.slice(0, 300)}`;
  const wanted = stream ? 'text/event-stream' : 'application/json';
  if (!type.startsWith(wanted)) return `content-type ${type || '(none)'}, not ${wanted}`;
  if (!text.includes(path.upstreamTag)) return `no ${path.upstreamTag} in the answer: ${text.slice(0, 300)}`;
  if (stream) {
    const last = text.trimEnd().split(/\r?\n\r?\n/).at(-1) ?? '';
    return last.includes(path.format.lastEvent) ? undefined : `stream ends with ${JSON.stringify(last.slice(0, 200))}, not ${path.format.lastEvent}`;
  }
  try {
    return path.format.isAnswer(JSON.parse(text) as Record<string, unknown>) ? undefined : `not this format's answer: ${text.slice(0, 300)}`;
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
}

/**
 * One non-stream and one stream request on every path, each read to its end: a 200 of the
 * right content type, from the right upstream, in the client's format (a stream ending with
 * its format's last event). Throws listing every path that answered otherwise, so a broken
 * path fails the bench instead of being measured.
 */
export async function smokeTest(paths: readonly BenchPath[]): Promise<void> {
  const failures: string[] = [];
  for (const path of paths) {
    for (const stream of [false, true]) {
      const res = await request(`${path.endpoint.origin}${path.endpoint.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...path.endpoint.headers },
        body: path.format.body(path.model, stream),
      });
      const text = await res.body.text();
      const wrong = problem(path, stream, res.statusCode, String(res.headers['content-type'] ?? ''), text);
      if (wrong) failures.push(`${path.name} (${stream ? 'stream' : 'non-stream'}): ${wrong}`);
    }
  }
  if (failures.length > 0) throw new Error(`smoke test failed:\n  ${failures.join('\n  ')}`);
}

/** Median of each figure over the rounds (errors summed). */
function medianThroughput(rounds: readonly Throughput[]): Throughput {
  const pick = (f: (t: Throughput) => number) => median(rounds.map(f));
  return {
    rps: pick((t) => t.rps),
    p50: pick((t) => t.p50),
    p99: pick((t) => t.p99),
    errors: rounds.reduce((n, t) => n + t.errors, 0),
    non2xx: rounds.reduce((n, t) => n + t.non2xx, 0),
    cpuUs: pick((t) => t.cpuUs ?? 0),
  };
}

/** How much each path is measured: `count` sequential requests over all rounds (a quarter as many streams), `seconds` per throughput slice. */
export interface Plan {
  rounds: number;
  count: number;
  seconds: number;
  /**
   * Unmeasured load on each path before a round's latency requests and before each throughput
   * slice, pass-throughs included (why: `settle`). Before the latency requests it puts every
   * path's process in the same state: without it, a process that had served another path just
   * before (the plain host then served three) answered 100–250 µs faster than one that had sat out the
   * round (bench/NOTES.md, thirteenth session).
   */
  settleSeconds: number;
}

/**
 * Sequential requests a path gets at a time: a round's latency requests go to every path in
 * turns of this many (streams: a quarter), so a swing of this machine, which lasts seconds and
 * moved a path's p50 2x from round to round (bench/NOTES.md, thirteenth session), falls on every
 * path alike instead of on whichever was being asked.
 */
export const TURN = 20;

/**
 * Measures every path in interleaved rounds (the order reversed every other round), so the
 * machine's drift over minutes (this VM swings up to 2x) falls on every path alike instead of
 * on whichever ran last. A round asks every path its sequential requests in turns ({@link TURN}),
 * after `settleSeconds` of load on each, then runs each path's throughput slices, each after
 * `settleSeconds` of the same load. Latency pools the samples of all rounds; throughput and CPU
 * per request are the median round.
 */
export async function measurePaths(paths: readonly BenchPath[], { rounds, count, seconds, settleSeconds }: Plan): Promise<PathResult[]> {
  const bodies = paths.map((path) => ({ nonStream: path.format.body(path.model, false), stream: path.format.body(path.model, true) }));
  const acc = paths.map(() => ({ latency: [] as number[], latencyP50s: [] as number[], streamLatency: [] as number[], throughput: [] as Throughput[], streamThroughput: [] as Throughput[] }));
  // V8 needs seconds of load before the hot paths are optimised: the first slices run cold.
  process.stderr.write('  warm-up...\n');
  for (const [i, path] of paths.entries()) {
    const { nonStream, stream } = bodies[i]!;
    await sequential(path.endpoint, nonStream, 300, 0);
    await throughput(path.endpoint, nonStream, CONNECTIONS, seconds, path.pid);
    await throughput(path.endpoint, stream, CONNECTIONS, seconds, path.pid);
  }
  for (let round = 0; round < rounds; round++) {
    process.stderr.write(`  round ${round + 1}/${rounds}...\n`);
    const order = paths.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) await settle(paths[i]!.endpoint, bodies[i]!.nonStream, CONNECTIONS, settleSeconds);
    const endpoints = order.map((i) => paths[i]!.endpoint);
    const latency = await inTurns(endpoints, order.map((i) => bodies[i]!.nonStream), Math.round(count / rounds), TURN, 20);
    const streamLatency = await inTurns(endpoints, order.map((i) => bodies[i]!.stream), Math.round(count / 4 / rounds), TURN / 4, 5);
    for (const [k, i] of order.entries()) {
      acc[i]!.latency.push(...latency[k]!);
      acc[i]!.latencyP50s.push(summarise(latency[k]!).p50);
      acc[i]!.streamLatency.push(...streamLatency[k]!);
    }
    for (const i of order) {
      const { endpoint, pid } = paths[i]!;
      const { nonStream, stream } = bodies[i]!;
      acc[i]!.throughput.push(await throughput(endpoint, nonStream, CONNECTIONS, seconds, pid, settleSeconds));
      acc[i]!.streamThroughput.push(await throughput(endpoint, stream, CONNECTIONS, seconds, pid, settleSeconds));
    }
  }
  return paths.map((path, i) => ({
    name: path.name,
    latency: summarise(acc[i]!.latency),
    streamLatency: summarise(acc[i]!.streamLatency),
    throughput: medianThroughput(acc[i]!.throughput),
    streamThroughput: medianThroughput(acc[i]!.streamThroughput),
    rounds: {
      latencyP50: acc[i]!.latencyP50s.map(Math.round),
      cpuUs: acc[i]!.throughput.map((t) => Math.round(t.cpuUs ?? 0)),
      streamCpuUs: acc[i]!.streamThroughput.map((t) => Math.round(t.cpuUs ?? 0)),
    },
  }));
}
