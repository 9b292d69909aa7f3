/**
 * Chaos 4 — disconnect storm. 500 clients (every format, to every upstream type) open streams
 * against a mock that paces its chunks, read the first chunk, and all hang up at once. The host
 * must abort every upstream call (the mock sees each one aborted), give back every upstream and
 * client socket within a few seconds, count nothing in flight, and not grow: a second storm of
 * 500 must leave heapUsed and RSS where the first left them, within bounded margins.
 *
 * Memory is the test process's own (host, mock and clients share it). The test workers have
 * no `global.gc`, so the helper obtains a full collection the way Jest's --detectLeaks does;
 * where that fails it falls back to the lowest heapUsed seen over the settle period, with a
 * wider margin.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Format, FORMATS, authHeaders, bounded, chatRequest, memory, recordFigure, round, settledMemory, sendChat } from '../helpers/chaos.js';
import { type TestHost, UPSTREAM_MODEL, mockProviders, startHost } from '../helpers/host.js';
import { until } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const CLIENTS = 500;
const MGMT = 'mgmt-chaos-storm';
/** 200 words at 100 ms a chunk: each stream would last about 20 s if nobody hung up. */
const TEXT = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
const CHUNK_DELAY_MS = 100;
/** Bounds on growth between settled states (baseline, after wave 1, after wave 2). */
const HEAP_MARGIN_MB = { collected: 16, uncollected: 128 };
const RSS_MARGIN_MB = 128;

let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream({ chunkDelayMs: CHUNK_DELAY_MS });
  host = await startHost({ managementKey: MGMT, providers: mockProviders(mock) });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

const UPSTREAMS = Object.values(UPSTREAM_MODEL);

function serverConnections(): Promise<number> {
  return new Promise((resolve, reject) => host.gateway.server.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

async function inFlight(): Promise<number> {
  const res = await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } });
  return ((await res.json()) as { inFlight?: number }[]).reduce((n, c) => n + (c.inFlight ?? 0), 0);
}

/** Opens `count` streams at once, waits for each one's first chunk, then drops them all. */
async function storm(count: number): Promise<{ opened: number; openS: number; releaseS: number }> {
  mock.reset();
  const started = performance.now();
  const streams = await bounded(count, count, async (i) => {
    const format = FORMATS[i % 3] as Format;
    const { path, body } = chatRequest(format, UPSTREAMS[Math.floor(i / 3) % 3]!, true, TEXT);
    const controller = new AbortController();
    const res = await fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(format) },
      body: JSON.stringify(body),
      signal: AbortSignal.any([controller.signal, AbortSignal.timeout(30_000)]),
    });
    const first = await res.body!.getReader().read();
    return { controller, ok: res.status === 200 && !first.done };
  });
  const openS = (performance.now() - started) / 1000;
  for (const s of streams) s.controller.abort();
  const dropped = performance.now();
  // Every upstream call ends aborted (none finished: each had about 20 s to go).
  await mock.waitFor((reqs) => reqs.length === count && reqs.every((r) => r.aborted), 15_000);
  return { opened: streams.filter((s) => s.ok).length, openS: round(openS, 2), releaseS: round((performance.now() - dropped) / 1000, 2) };
}

it('500 clients hanging up mid-stream abort every upstream call, free every socket, and leak nothing', { timeout: 120_000 }, async () => {
  const t0 = performance.now();
  // Warm-up: JIT, pools and keep-alive connections exist before the baseline is taken.
  await bounded(60, 20, (i) => sendChat(host.url, { format: FORMATS[i % 3] as Format, model: UPSTREAMS[i % 3]!, stream: i % 2 === 0 }));
  await storm(60);
  await until(async () => (await inFlight()) === 0, 5000, 'warm-up to settle');
  const baseline = { upstreamSockets: mock.openConnections(), clientSockets: await serverConnections(), memory: await settledMemory(750, t0) };

  const waves = [];
  for (let wave = 1; wave <= 2; wave++) {
    const result = await storm(CLIENTS);
    const released = performance.now();
    await until(() => mock.openConnections() <= baseline.upstreamSockets, 5000, 'upstream sockets back to the baseline');
    const upstreamSocketsS = (performance.now() - released) / 1000;
    await until(async () => (await serverConnections()) <= baseline.clientSockets + 1, 5000, 'client sockets back to the baseline');
    await until(async () => (await inFlight()) === 0, 5000, 'nothing in flight');
    const settled = await settledMemory(750, t0);
    waves.push({ wave, ...result, upstreamSocketsBackS: round(upstreamSocketsS, 2), upstreamSocketsAfter: mock.openConnections(), settled });
    expect(result.opened).toBe(CLIENTS);
    expect(mock.requests.filter((r) => r.finished)).toEqual([]);
  }

  const [first, second] = waves as [(typeof waves)[0], (typeof waves)[0]];
  recordFigure('disconnect-storm', {
    clientsPerWave: CLIENTS,
    chunkDelayMs: CHUNK_DELAY_MS,
    baseline: { upstreamSockets: baseline.upstreamSockets, clientSockets: baseline.clientSockets, ...baseline.memory },
    waves,
    heapGrowthMbWave1To2: round(second.settled.heapUsedMb - first.settled.heapUsedMb),
    rssGrowthMbWave1To2: round(second.settled.rssMb - first.settled.rssMb),
    peakAfter: memory(t0),
  });

  const heapMargin = second.settled.gc ? HEAP_MARGIN_MB.collected : HEAP_MARGIN_MB.uncollected;
  expect(first.settled.heapUsedMb).toBeLessThanOrEqual(baseline.memory.heapUsedMb + heapMargin);
  expect(second.settled.heapUsedMb).toBeLessThanOrEqual(first.settled.heapUsedMb + heapMargin);
  expect(second.settled.rssMb).toBeLessThanOrEqual(first.settled.rssMb + RSS_MARGIN_MB);
});
