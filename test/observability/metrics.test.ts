/**
 * `GET /metrics` through a real host: scrape, send traffic through the mock upstream, scrape
 * again, and check that every series the README names moved by what the traffic did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type TestHost, UPSTREAM_KEYS, mockProviders, startHost } from '../helpers/host.js';
import { pluginsDir, until } from '../helpers/plugins.js';

let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  const providers = mockProviders(mock);
  // The triggers are aliases of a real model, so a request a router drops is still served.
  providers[0]!.models = ['gpt-4.1', { name: 'gpt-4.1', alias: 'trigger-throws' }, { name: 'gpt-4.1', alias: 'trigger-exit' }];
  host = await startHost({ providers, plugins: { dir: await pluginsDir(['router-throws', 'router-exit']), callTimeout: '2s' } });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

type Labels = Record<string, string>;
interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** Parses the Prometheus text format (one sample a line; label values here hold no commas or quotes). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Labels = {};
    for (const pair of m[2] ? m[2].split(',') : []) {
      const [k, v] = pair.split('=') as [string, string];
      labels[k] = JSON.parse(v);
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the series `name` with exactly these labels (le aside), 0 when absent. */
function value(samples: Sample[], name: string, labels: Labels = {}): number {
  const wanted = Object.entries(labels);
  const found = samples.find((s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v));
  return found?.value ?? 0;
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${host.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parse(await res.text());
}

async function post(path: string, body: unknown, key = CLIENT_KEY): Promise<Response> {
  const res = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res;
}

const chat = (model: string, key?: string) => post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, key);
const CHAT = '/v1/chat/completions';

describe('GET /metrics', () => {
  it('counts requests by endpoint, provider, upstream model and status, and times the upstream and the host', async () => {
    const before = await scrape();
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect((await chat('gpt-4.1', 'sk-wrong')).status).toBe(401);
    // The access line and the count are written when the response closes, just after the client has it.
    await until(async () => value(await scrape(), 'switchyard_requests_total', { endpoint: CHAT, provider: '', model: '', status: '401' }) > 0);
    const after = await scrape();
    const moved = (name: string, labels: Labels = {}) => value(after, name, labels) - value(before, name, labels);
    expect(moved('switchyard_requests_total', { endpoint: CHAT, provider: 'openai', model: 'gpt-4.1', status: '200' })).toBe(2);
    expect(moved('switchyard_requests_total', { endpoint: CHAT, provider: '', model: '', status: '401' })).toBe(1);
    expect(moved('switchyard_upstream_duration_seconds_count', { provider: 'openai' })).toBe(2);
    expect(moved('switchyard_upstream_duration_seconds_sum', { provider: 'openai' })).toBeGreaterThan(0);
    expect(moved('switchyard_overhead_seconds_count')).toBe(2);
  });

  it('times the first event of a stream', async () => {
    const before = await scrape();
    const res = await post('/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    await until(async () => value(await scrape(), 'switchyard_requests_total', { endpoint: '/v1/messages', provider: 'anthropic', model: 'claude-sonnet-4-6', status: '200' }) > 0);
    const after = await scrape();
    expect(value(after, 'switchyard_stream_ttft_seconds_count', { provider: 'anthropic' }) - value(before, 'switchyard_stream_ttft_seconds_count', { provider: 'anthropic' })).toBe(1);
    expect(value(after, 'switchyard_stream_ttft_seconds_bucket', { provider: 'anthropic', le: '+Inf' })).toBeGreaterThan(0);
  });

  it('shows a credential cooling down after its upstream answered 429', async () => {
    const before = await scrape();
    expect(value(before, 'switchyard_credentials', { provider: 'gemini', state: 'active' })).toBe(1);
    expect(value(before, 'switchyard_credentials', { provider: 'gemini', state: 'cooling' })).toBe(0);
    // Retry-After beyond maxRetryInterval: the host answers 429 at once instead of waiting.
    mock.fault({ format: 'gemini', key: UPSTREAM_KEYS.gemini, kind: 'status', status: 429, retryAfter: '120', times: 1 });
    expect((await post('/v1beta/models/gemini-2.5-pro:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })).status).toBe(429);
    const after = await scrape();
    expect(value(after, 'switchyard_credentials', { provider: 'gemini', state: 'cooling' })).toBe(1);
    expect(value(after, 'switchyard_credentials', { provider: 'gemini', state: 'active' })).toBe(0);
    expect(value(after, 'switchyard_credentials', { provider: 'openai', state: 'active' })).toBe(1);
    await until(async () => value(await scrape(), 'switchyard_requests_total', { endpoint: '/v1beta/models/:target', provider: '', model: '', status: '429' }) === 1);
  });

  it('counts plugin calls, errors, crashes and fuses, and times each call', async () => {
    const plugin = (name: string, id: string, labels: Labels = {}) => (s: Sample[]) => value(s, name, { plugin: id, ...labels });
    const before = await scrape();
    expect((await chat('trigger-throws')).status).toBe(200);
    expect((await chat('trigger-exit')).status).toBe(200);
    const after = await scrape();
    const moved = (read: (s: Sample[]) => number) => read(after) - read(before);
    // Both routers are asked on both requests (each answers only its own trigger).
    expect(moved(plugin('switchyard_plugin_calls_total', 'router-throws'))).toBe(2);
    expect(moved(plugin('switchyard_plugin_errors_total', 'router-throws'))).toBe(1);
    expect(moved(plugin('switchyard_plugin_fuses_total', 'router-throws'))).toBe(0);
    expect(moved(plugin('switchyard_plugin_call_duration_seconds_count', 'router-throws', { method: 'model.route' }))).toBe(2);
    expect(moved(plugin('switchyard_plugin_crashes_total', 'router-exit'))).toBe(1);
    expect(moved(plugin('switchyard_plugin_fuses_total', 'router-exit'))).toBe(1);
    expect(moved(plugin('switchyard_plugin_timeouts_total', 'router-exit'))).toBe(0);
  });

  it('keeps the default process metrics, event loop lag included', async () => {
    const samples = await scrape();
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(samples.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
  });
});
