/**
 * Chaos 3 — reload under load. While requests flow at a bounded rate (4 clients, every format,
 * stream and non-stream), the watched config file is rewritten over and over — providers added
 * and removed, keys replaced and reordered, virtual models and strategies changed, and invalid
 * files (schema errors, broken YAML) in between — and fixture plugins are dropped into and
 * removed from the plugins dir. Models that exist before and after every change must keep
 * answering: zero failed requests.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Format, FORMATS, type Outcome, isSuccessBody, percentile, recordFigure, round, sendChat, sleep, tally } from '../helpers/chaos.js';
import { type LogLines, type TestHost, startHost } from '../helpers/host.js';
import { addPlugin, pluginsDir, until } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-chaos-reload';
const CLIENTS = 4;
/** Upper bound on requests, whatever the timing. */
const MAX_REQUESTS = 4000;
/** The models every config keeps: traffic goes only to them. */
const STABLE_MODELS = ['gpt-4.1', 'steady'] as const;

let mock: MockUpstream;
let host: TestHost;
let dir: string;
const logs: LogLines = [];

interface Variant {
  keys: string[];
  extra: boolean;
  mini: boolean;
  strategy: 'round-robin' | 'fill-first';
  executorConfig?: number;
}

function config(v: Variant): Record<string, unknown> {
  const providers: Record<string, unknown>[] = [
    { name: 'stable', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: v.keys, models: v.mini ? ['gpt-4.1', 'gpt-4.1-mini'] : ['gpt-4.1'] },
  ];
  if (v.extra) providers.push({ name: 'extra', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-extra-0'], models: ['claude-sonnet-4-6'] });
  return {
    managementKey: MGMT,
    routing: { strategy: v.strategy },
    providers,
    models: {
      steady: { primary: 'stable/gpt-4.1', fallbacks: v.extra ? ['extra/claude-sonnet-4-6'] : [] },
      ...(v.extra && { temp: { primary: 'extra/claude-sonnet-4-6' } }),
    },
    plugins: { dir, restartDelay: '200ms', items: v.executorConfig === undefined ? {} : { 'executor-stream': { config: { n: v.executorConfig } } } },
  };
}

const BASE: Variant = { keys: ['sk-stable-0'], extra: false, mini: false, strategy: 'round-robin' };

/** One change to the running host; `kind` says how the test knows it took effect. */
type Step = { kind: 'valid'; variant: Variant } | { kind: 'invalid'; text: string } | { kind: 'add-plugin' | 'remove-plugin'; plugin: string };

function steps(): Step[] {
  return [
    { kind: 'valid', variant: { ...BASE, keys: ['sk-stable-0', 'sk-stable-1'] } },
    { kind: 'valid', variant: { ...BASE, keys: ['sk-stable-0', 'sk-stable-1'], extra: true } },
    { kind: 'invalid', text: 'port: 0\nproviders:\n  - name: stable\n    type: nope\n' },
    { kind: 'valid', variant: { ...BASE, keys: ['sk-stable-2', 'sk-stable-1'], extra: true, mini: true } },
    { kind: 'invalid', text: 'port: 0\nproviders: [ {name: stable, type: openai\n' },
    { kind: 'add-plugin', plugin: 'router-provider' },
    { kind: 'add-plugin', plugin: 'response-stamp' },
    { kind: 'valid', variant: { ...BASE, keys: ['sk-stable-1'], strategy: 'fill-first' } },
    { kind: 'invalid', text: 'port: 0\nproviders:\n  - {name: stable, type: openai}\n  - {name: stable, type: openai}\n' },
    { kind: 'remove-plugin', plugin: 'response-stamp' },
    { kind: 'add-plugin', plugin: 'executor-stream' },
    { kind: 'valid', variant: { ...BASE, keys: ['sk-stable-1', 'sk-stable-3'], executorConfig: 1 } },
    { kind: 'valid', variant: { ...BASE, keys: ['sk-stable-3'], extra: true, executorConfig: 2 } },
    { kind: 'invalid', text: 'port: 0\nnotAKey: true\n' },
    { kind: 'remove-plugin', plugin: 'router-provider' },
    { kind: 'remove-plugin', plugin: 'executor-stream' },
    { kind: 'valid', variant: BASE },
  ];
}

beforeAll(async () => {
  mock = await startMockUpstream();
  dir = await pluginsDir([]);
  host = await startHost(config(BASE), { watch: true, logs });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pluginIds = async (): Promise<string[]> =>
  ((await (await fetch(`${host.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${MGMT}` } })).json()) as { id: string; state: string }[])
    .filter((p) => p.state === 'active')
    .map((p) => p.id);

/** What of a variant shows in the config in force. */
const shape = (providers: { name: string; apiKeys: string[]; models?: unknown[] }[], strategy: string) =>
  JSON.stringify({ providers: providers.map((p) => [p.name, p.apiKeys, p.models?.length]), strategy });

async function apply(step: Step): Promise<void> {
  switch (step.kind) {
    case 'valid': {
      const next = config(step.variant) as { providers: { name: string; apiKeys: string[]; models: unknown[] }[] };
      await host.writeConfig(next);
      const want = shape(next.providers, step.variant.strategy);
      await until(() => shape(host.gateway.config.providers, host.gateway.config.routing.strategy) === want, 10_000, 'the valid config to apply');
      return;
    }
    case 'invalid': {
      const before = host.gateway.config;
      const ignored = logs.filter((l) => /config change ignored/.test(String(l.msg))).length;
      await writeFile(host.configFile, step.text);
      await until(() => logs.filter((l) => /config change ignored/.test(String(l.msg))).length > ignored, 10_000, 'the invalid config to be refused');
      expect(host.gateway.config).toBe(before);
      return;
    }
    case 'add-plugin':
      await addPlugin(dir, step.plugin);
      await until(async () => (await pluginIds()).includes(step.plugin), 10_000, `${step.plugin} to load`);
      return;
    case 'remove-plugin':
      await rm(join(dir, step.plugin), { recursive: true });
      await until(async () => !(await pluginIds()).includes(step.plugin), 10_000, `${step.plugin} to unload`);
      return;
  }
}

it('config and plugins-dir changes under load fail no request for a model that stays', { timeout: 90_000 }, async () => {
  const outcomes: (Outcome & { model: string })[] = [];
  let stop = false;
  let sent = 0;
  const client = async (c: number) => {
    while (!stop && sent < MAX_REQUESTS) {
      const n = sent++;
      const model = STABLE_MODELS[n % 2]!;
      const format = FORMATS[(n + c) % 3] as Format;
      const o = await sendChat(host.url, { format, model, stream: n % 4 >= 2, timeoutMs: 20_000 });
      outcomes.push({ ...o, model });
      // A bounded rate: each client pauses between requests.
      await sleep(5);
    }
  };
  const started = performance.now();
  const traffic = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  await until(() => outcomes.length >= 20, 10_000, 'traffic to flow');

  const applied = tally([]);
  const stepTimes: number[] = [];
  for (let round = 0; round < 2; round++) {
    for (const step of steps()) {
      const t = performance.now();
      await apply(step);
      stepTimes.push(performance.now() - t);
      applied[step.kind] = (applied[step.kind] ?? 0) + 1;
    }
  }
  stop = true;
  await traffic;
  const durationS = (performance.now() - started) / 1000;

  const failed = outcomes
    .filter((o) => !(o.status === 200 && (o.stream ? o.streamEnd === 'clean' : isSuccessBody(o.format, o.text))))
    .map((o) => `${o.model} ${o.format}${o.stream ? ' stream' : ''}: ${o.status} ${o.clientError ?? o.streamEnd ?? o.text.slice(0, 200)}`);
  recordFigure('reload-under-load', {
    clients: CLIENTS,
    durationS: round(durationS, 2),
    requests: outcomes.length,
    requestsPerSecond: round(outcomes.length / durationS),
    changesApplied: applied,
    changeToEffectMs: { p50: percentile(stepTimes, 50), max: percentile(stepTimes, 100) },
    statuses: tally(outcomes.map((o) => String(o.status || o.clientError))),
    upstreamCallsPerKey: tally(mock.requests.map((r) => r.apiKey ?? 'none')),
    latencyMs: { p50: percentile(outcomes.map((o) => o.ms), 50), p99: percentile(outcomes.map((o) => o.ms), 99), max: percentile(outcomes.map((o) => o.ms), 100) },
  });

  expect(failed).toEqual([]);
  expect(outcomes.length).toBeLessThanOrEqual(MAX_REQUESTS);
  // Traffic really overlapped the changes: the keys of several configs served some of it.
  expect(outcomes.length).toBeGreaterThan(100);
  expect(new Set(mock.requests.map((r) => r.apiKey)).size).toBeGreaterThanOrEqual(4);
});
