/**
 * Chaos 2 — plugin faults. While 200 requests flow (8 at a time, every client format, stream
 * and non-stream), a router plugin keeps crashing its worker (fixture router-exit), another
 * keeps spinning past its deadline (router-loops), and the files of all three router plugins
 * are rewritten again and again, so the supervisor reloads them mid-traffic. Fused, hanging and
 * reloading plugins fall through to the normal path: not one request may fail.
 *
 * A second part saves an executor plugin's package.json in place (truncate, then write) while
 * requests for its model flow: on its own that is a reload and fails nothing; while another
 * plugin's folder changes at the same moment it unloads the executor (CHAOS-BUG-6).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Format, FORMATS, bounded, isSuccessBody, percentile, prng, recordFigure, round, sendChat, sleep, tally } from '../helpers/chaos.js';
import { type LogLines, type TestHost, startHost } from '../helpers/host.js';
import { pluginsDir, until } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-chaos-plugins';
const ROUTERS = ['router-exit', 'router-loops', 'router-provider'] as const;
const REQUESTS = 200;
const CONCURRENCY = 8;
/** Pause between two rewrites of plugin files while traffic flows. */
const REWRITE_EVERY_MS = 150;

let mock: MockUpstream;
let host: TestHost;
let dir: string;
const logs: LogLines = [];
const originals = new Map<string, { index: string; pkg: Record<string, unknown> }>();

beforeAll(async () => {
  mock = await startMockUpstream();
  dir = await pluginsDir(ROUTERS);
  for (const id of ROUTERS) {
    originals.set(id, {
      index: await readFile(join(dir, id, 'index.js'), 'utf8'),
      pkg: JSON.parse(await readFile(join(dir, id, 'package.json'), 'utf8')) as Record<string, unknown>,
    });
  }
  host = await startHost({
    managementKey: MGMT,
    providers: [
      // Every trigger is also a real model, so a request whose router fell through is served.
      {
        name: 'openai',
        type: 'openai',
        baseUrl: mock.baseUrl('openai'),
        apiKeys: ['sk-o'],
        models: ['gpt-4.1', ...['trigger-exit', 'trigger-loops', 'trigger-provider'].map((alias) => ({ name: 'gpt-4.1', alias }))],
      },
      { name: 'anthropic', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-a'], models: ['claude-sonnet-4-6'] },
    ],
    plugins: { dir, callTimeout: '300ms', restartDelay: '200ms' },
  }, { logs });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const plugins = async (): Promise<Record<string, any>[]> =>
  (await (await fetch(`${host.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${MGMT}` } })).json()) as Record<string, any>[];

/** Rewrites a plugin's files in place (new version, new comment), as an editor saving would. */
async function rewrite(id: string, revision: number): Promise<void> {
  const original = originals.get(id)!;
  await writeFile(join(dir, id, 'package.json'), JSON.stringify({ ...original.pkg, version: `1.0.${revision}` }, null, 2));
  await writeFile(join(dir, id, 'index.js'), `${original.index}\n// chaos revision ${revision}\n`);
}

it('crashing, hanging and reloading router plugins fail none of 200 requests', { timeout: 90_000 }, async () => {
  await until(async () => (await plugins()).every((p) => p.state === 'active'), 10_000, 'routers active');
  const random = prng(2);
  const plan = Array.from({ length: REQUESTS }, (_, i) => ({
    model: i % 10 === 3 ? 'trigger-exit' : i % 10 === 7 ? 'trigger-loops' : i % 5 === 1 ? 'trigger-provider' : 'gpt-4.1',
    format: FORMATS[i % 3] as Format,
    stream: random() < 0.5,
  }));

  let trafficDone = false;
  let rewrites = 0;
  const reloader = (async () => {
    while (!trafficDone) {
      await rewrite(ROUTERS[rewrites % ROUTERS.length]!, rewrites + 1);
      rewrites++;
      await sleep(REWRITE_EVERY_MS);
    }
  })();
  const started = performance.now();
  const outcomes = await bounded(REQUESTS, CONCURRENCY, (i) => sendChat(host.url, { ...plan[i]!, timeoutMs: 20_000 }));
  const durationS = (performance.now() - started) / 1000;
  trafficDone = true;
  await reloader;

  const failed = outcomes
    .map((o, i) => ({ ...plan[i]!, status: o.status, ok: o.status === 200 && (o.stream ? o.streamEnd === 'clean' : isSuccessBody(o.format, o.text)), why: o.clientError ?? o.streamEnd ?? o.text.slice(0, 200) }))
    .filter((r) => !r.ok);

  // After the storm, one more change of their files brings every router back.
  for (const id of ROUTERS) await rewrite(id, 1000);
  await until(
    async () => (await plugins()).filter((p) => ROUTERS.includes(p.id)).every((p) => p.state === 'active' && p.version === '1.0.1000'),
    15_000,
    'routers reloaded and active',
  );
  const snapshot = (await plugins()).filter((p) => ROUTERS.includes(p.id));

  recordFigure('plugin-faults', {
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    durationS: round(durationS, 2),
    requestsPerModel: tally(plan.map((p) => p.model)),
    statuses: tally(outcomes.map((o) => String(o.status || o.clientError))),
    routedBy: tally(outcomes.map((o) => o.headers.get('x-switchyard-router') ?? 'normal path')),
    fileRewrites: rewrites,
    pluginEvents: tally(logs.filter((l) => typeof l.plugin === 'string' && (l.level as number) >= 30).map((l) => `${l.plugin}: ${String(l.msg)}`)),
    plugins: Object.fromEntries(snapshot.map((p) => [p.id, { state: p.state, version: p.version, calls: p.calls, errors: p.errors, timeouts: p.timeouts, crashes: p.crashes }])),
    latencyMs: { p50: percentile(outcomes.map((o) => o.ms), 50), p99: percentile(outcomes.map((o) => o.ms), 99), max: percentile(outcomes.map((o) => o.ms), 100) },
  });

  expect(failed).toEqual([]);
  // The faults really happened while traffic flowed.
  expect(rewrites).toBeGreaterThanOrEqual(3);
  expect(outcomes.some((o) => o.headers.get('x-switchyard-router') === 'router-provider')).toBe(true);
  expect(snapshot.map((p) => p.state)).toEqual(['active', 'active', 'active']);
});

describe("an executor plugin's package.json saved in place while its model is in use", () => {
  let mock2: MockUpstream;
  let host2: TestHost;
  let dir2: string;
  const logs2: LogLines = [];
  let pkg: string;
  let routerIndex: string;

  beforeAll(async () => {
    mock2 = await startMockUpstream();
    dir2 = await pluginsDir(['executor-stream', 'router-provider']);
    pkg = await readFile(join(dir2, 'executor-stream', 'package.json'), 'utf8');
    routerIndex = await readFile(join(dir2, 'router-provider', 'index.js'), 'utf8');
    host2 = await startHost(
      { managementKey: MGMT, providers: [{ name: 'openai', type: 'openai', baseUrl: mock2.baseUrl('openai'), apiKeys: ['sk-o'], models: ['gpt-4.1'] }], plugins: { dir: dir2 } },
      { logs: logs2 },
    );
  });
  afterAll(async () => {
    await host2?.close();
    await mock2?.close();
    if (dir2) await rm(dir2, { recursive: true, force: true });
  });

  const allActive = async () =>
    ((await (await fetch(`${host2.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${MGMT}` } })).json()) as { state: string }[]).every((p) => p.state === 'active');

  /** Requests for the executor's model (4 clients) while `during` runs, then 1 s more; their statuses. */
  async function traffic(during: () => Promise<void>): Promise<Record<string, number>> {
    await until(allActive, 10_000, 'plugins active');
    let stop = false;
    const statuses: string[] = [];
    const clients = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop && statuses.length < 3000) {
          const o = await sendChat(host2.url, { format: 'openai', model: 'fixture-echo', stream: false, timeoutMs: 10_000 });
          statuses.push(String(o.status || o.clientError));
          await sleep(5);
        }
      }),
    );
    await sleep(200);
    await during();
    await sleep(1000);
    await until(allActive, 10_000, 'plugins active again');
    stop = true;
    await clients;
    return tally(statuses);
  }

  it('on its own, is a reload that fails no request', { timeout: 30_000 }, async () => {
    const statuses = await traffic(async () => {
      await writeFile(join(dir2, 'executor-stream', 'package.json'), '');
      await sleep(100);
      await writeFile(join(dir2, 'executor-stream', 'package.json'), pkg);
    });
    recordFigure('plugin-faults-in-place-save', { statuses });
    expect(Object.keys(statuses)).toEqual(['200']);
  });

  // CHAOS-BUG-6 (docs/RELIABILITY.md, "Known host bugs"): the sync a file event in one plugin
  // folder triggers re-reads every folder and unloads any plugin whose package.json cannot be
  // read at that moment, even though that folder's own (debounced) change is still pending. An
  // executor caught mid-save loses its models: requests for them get 404 until it is re-added.
  it("while another plugin's folder changes, does not unload it nor fail a request", { timeout: 30_000 }, async () => {
    const reloads = () => logs2.filter((l) => l.plugin === 'router-provider' && /reloaded/.test(String(l.msg))).length;
    const statuses = await traffic(async () => {
      const before = reloads();
      await writeFile(join(dir2, 'router-provider', 'index.js'), `${routerIndex}\n// touched\n`);
      // executor-stream's save is half done (its package.json empty) until router-provider's
      // sync has run; rewriting it keeps restarting its own debounce meanwhile.
      const deadline = Date.now() + 5000;
      while (reloads() === before && Date.now() < deadline) {
        await writeFile(join(dir2, 'executor-stream', 'package.json'), '');
        await sleep(40);
      }
      await writeFile(join(dir2, 'executor-stream', 'package.json'), pkg);
    });
    const unloaded = logs2.filter((l) => l.plugin === 'executor-stream' && /unloaded/.test(String(l.msg))).length;
    expect({ statuses, unloaded }).toEqual({ statuses: { 200: expect.any(Number) }, unloaded: 0 });
  });
});
