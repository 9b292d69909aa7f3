/**
 * Chaos 7 — secrets. Sentinel strings serve as upstream keys, client key, management key and
 * host environment variables. Normal traffic in every format (every way a client may present
 * its key, `?key=` included), upstream faults (401, 429, 500), listings, token counts,
 * management calls (good and wrong keys) and plugin calls (a spy fixture with every capability,
 * and a nested call) all run; then no sentinel may appear in any log line, any response header
 * or body, any management answer, or anything the plugin worker saw or had in its environment.
 * The client and management keys must not reach the upstream either.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Format, FORMATS, authHeaders, chatRequest, recordFigure, tally } from '../helpers/chaos.js';
import { type LogLines, type TestHost, startHost } from '../helpers/host.js';
import { until } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const SENTINEL = /SENTINEL/;
const KEYS = {
  up1: 'sk-SENTINEL-UPSTREAM-1',
  up2: 'sk-SENTINEL-UPSTREAM-2',
  up3: 'sk-SENTINEL-UPSTREAM-3',
  up4: 'sk-SENTINEL-UPSTREAM-4',
  client: 'sk-SENTINEL-CLIENT',
  mgmt: 'sk-SENTINEL-MGMT',
} as const;
/** Host environment: only SPY_ALLOWED is named in the plugin's `env`. */
const ENV = { OPENAI_API_KEY: 'sk-SENTINEL-ENV-OPENAI', ANTHROPIC_API_KEY: 'sk-SENTINEL-ENV-ANTHROPIC', SPY_HIDDEN: 'sk-SENTINEL-ENV-HIDDEN', SPY_ALLOWED: 'visible-value' };
const SPY = fileURLToPath(new URL('./fixtures/secret-spy/', import.meta.url));
const MODELS = ['gpt-4.1', 'claude-sonnet-4-6', 'gemini-2.5-pro'];

let mock: MockUpstream;
let host: TestHost;
const logs: LogLines = [];
const savedEnv: Record<string, string | undefined> = {};
/** Everything the clients got back: one entry per exchange, status line, headers and body. */
const exchanges: { what: string; status: number; text: string }[] = [];
let spyDir: string | undefined;

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  mock = await startMockUpstream();
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-chaos-spy-'));
  spyDir = dir;
  await cp(SPY, join(dir, 'secret-spy'), { recursive: true });
  host = await startHost(
    {
      apiKeys: [KEYS.client],
      managementKey: KEYS.mgmt,
      providers: [
        { name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: [KEYS.up1, KEYS.up2], models: ['gpt-4.1', 'gpt-4.1-mini'] },
        { name: 'an', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: [KEYS.up3], models: ['claude-sonnet-4-6'] },
        { name: 'ge', type: 'gemini', baseUrl: mock.baseUrl('gemini'), apiKeys: [KEYS.up4], models: ['gemini-2.5-pro'] },
      ],
      retry: { requestRetry: 0, maxRetryInterval: 0 },
      plugins: { dir, items: { 'secret-spy': { env: ['SPY_ALLOWED'], config: { note: 'no secrets in here' } } } },
    },
    { logs },
  );
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
  if (spyDir) await rm(spyDir, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Sends a request and keeps everything that came back. */
async function exchange(what: string, path: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${host.url}${path}`, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  exchanges.push({ what, status: res.status, text: `${res.status}\n${headers}\n\n${text}` });
  return { status: res.status, text };
}

function chat(what: string, format: Format, model: string, stream: boolean, auth: Record<string, string> = authHeaders(format, KEYS.client), query = '') {
  const { path, body } = chatRequest(format, model, stream, `tell me about ${what}`);
  const sep = path.includes('?') ? '&' : '?';
  return exchange(what, query ? `${path}${sep}${query}` : path, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
}

const mgmt = (what: string, method: string, path: string, key: string = KEYS.mgmt) =>
  exchange(what, `/v0/management${path}`, { method, headers: { authorization: `Bearer ${key}` } });

it('no sentinel secret leaks to logs, answers, management views or plugin workers', { timeout: 60_000 }, async () => {
  // Normal traffic: every format to every upstream type, stream and not.
  for (const format of FORMATS) for (const model of MODELS) for (const stream of [false, true]) expect((await chat(`${format} ${model}`, format, model, stream)).status).toBe(200);
  // Every way of presenting the client key.
  expect((await chat('bearer on messages', 'anthropic', 'gpt-4.1', false, { authorization: `Bearer ${KEYS.client}`, 'anthropic-version': '2023-06-01' })).status).toBe(200);
  expect((await chat('x-api-key on chat', 'openai', 'gpt-4.1', true, { 'x-api-key': KEYS.client })).status).toBe(200);
  expect((await chat('?key= query', 'gemini', 'gemini-2.5-pro', false, {}, `key=${KEYS.client}`)).status).toBe(200);
  expect((await chat('?key= query stream', 'gemini', 'claude-sonnet-4-6', true, {}, `key=${KEYS.client}`)).status).toBe(200);
  // Token counts and listings.
  const json = { 'content-type': 'application/json' };
  await exchange('count_tokens', '/v1/messages/count_tokens', { method: 'POST', headers: { ...json, 'x-api-key': KEYS.client }, body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'count me' }] }) });
  await exchange('gemini countTokens', `/v1beta/models/gemini-2.5-pro:countTokens?key=${KEYS.client}`, { method: 'POST', headers: json, body: JSON.stringify({ contents: [{ parts: [{ text: 'count me' }] }] }) });
  await exchange('models openai', '/v1/models', { headers: { authorization: `Bearer ${KEYS.client}` } });
  await exchange('models anthropic', '/v1/models', { headers: { 'x-api-key': KEYS.client, 'anthropic-version': '2023-06-01' } });
  await exchange('models gemini', `/v1beta/models?key=${KEYS.client}`);
  await exchange('model gemini', '/v1beta/models/gpt-4.1', { headers: { 'x-goog-api-key': KEYS.client } });
  await exchange('metrics', '/metrics');

  // Upstream faults: 401 and 429 on the OpenAI keys, 500 on the Gemini key.
  mock.fault({ key: KEYS.up1, kind: 'status', status: 401, times: 2 });
  mock.fault({ key: KEYS.up2, kind: 'status', status: 429, retryAfter: '2', times: 2 });
  mock.fault({ key: KEYS.up4, kind: 'status', status: 500, times: 2 });
  const faulted: number[] = [];
  for (const format of FORMATS) {
    faulted.push((await chat(`fault ${format} mini`, format, 'gpt-4.1-mini', format === 'anthropic')).status);
    faulted.push((await chat(`fault ${format} gemini`, format, 'gemini-2.5-pro', format === 'gemini')).status);
  }
  mock.clearFaults();
  expect(faulted.some((s) => s >= 400)).toBe(true);

  // Wrong keys must not be echoed either.
  expect((await chat('wrong client key', 'openai', 'gpt-4.1', false, { authorization: 'Bearer sk-SENTINEL-WRONG-CLIENT' })).status).toBe(401);
  expect((await mgmt('wrong management key', 'GET', '/credentials', 'sk-SENTINEL-WRONG-MGMT')).status).toBe(401);

  // Management: every view, a reset and a reload.
  expect((await mgmt('credentials', 'GET', '/credentials')).status).toBe(200);
  expect((await mgmt('models', 'GET', '/models')).status).toBe(200);
  expect((await mgmt('plugins', 'GET', '/plugins')).status).toBe(200);
  expect((await mgmt('credential reset', 'POST', '/credentials/oa%230/reset')).status).toBe(200);
  expect((await mgmt('reload', 'POST', '/reload')).status).toBe(200);
  await until(async () => ((await (await fetch(`${host.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${KEYS.mgmt}` } })).json()) as { state: string }[])[0]?.state === 'active', 10_000, 'spy active');

  // Plugin calls: a nested call through the whole pipeline, then the spy's record of all it saw.
  expect((await chat('spy nested', 'openai', 'spy-nested', false)).status).toBe(200);
  const dump = await chat('spy dump', 'anthropic', 'spy-dump', false);
  expect(dump.status).toBe(200);
  const content = JSON.parse(JSON.parse(dump.text).content[0].text) as { env: Record<string, string>; seen: { what: string; value: unknown }[] };

  const leaks = {
    logLines: logs.filter((l) => SENTINEL.test(JSON.stringify(l))).map((l) => JSON.stringify(l).slice(0, 300)),
    answers: exchanges.filter((e) => SENTINEL.test(e.text)).map((e) => `${e.what}: ${e.text.split('\n').filter((line) => SENTINEL.test(line)).join(' | ').slice(0, 300)}`),
    pluginSaw: content.seen.filter((s) => SENTINEL.test(JSON.stringify(s.value))).map((s) => `${s.what}: ${JSON.stringify(s.value).slice(0, 300)}`),
    pluginEnv: Object.entries(content.env).filter(([k, v]) => SENTINEL.test(`${k}=${v}`)),
    // The client and management keys are the host's business, never the upstream's.
    upstream: mock.requests.filter((r) => JSON.stringify(r).includes(KEYS.client) || JSON.stringify(r).includes(KEYS.mgmt)).map((r) => r.path),
  };
  recordFigure('secrets', {
    exchanges: exchanges.length,
    statuses: tally(exchanges.map((e) => String(e.status))),
    logLines: logs.length,
    upstreamCalls: mock.requests.length,
    pluginSaw: tally(content.seen.map((s) => s.what)),
    pluginEnv: Object.keys(content.env).sort(),
    leaks: Object.fromEntries(Object.entries(leaks).map(([k, v]) => [k, v.length])),
  });

  expect(leaks).toEqual({ logLines: [], answers: [], pluginSaw: [], pluginEnv: [], upstream: [] });
  // The spy really saw every capability's input, and its environment is what its item names.
  expect(new Set(content.seen.map((s) => s.what))).toEqual(new Set(['setup', 'modelRouter', 'requestInterceptor', 'responseInterceptor', 'streamInterceptor', 'scheduler', 'executor', 'executeModel']));
  expect(content.env.SPY_ALLOWED).toBe('visible-value');
  expect(content.env.OPENAI_API_KEY).toBeUndefined();
  // The upstream keys did reach the upstream (the sentinels were really in use).
  expect(new Set(mock.requests.map((r) => r.apiKey))).toEqual(new Set([KEYS.up1, KEYS.up2, KEYS.up3, KEYS.up4]));
});

// CHAOS-BUG-5 (docs/RELIABILITY.md, "Known host bugs", fixed in 6f0d532): an upstream whose
// error message echoes the key it was given (some OpenAI-compatible upstreams do) had that key
// passed on verbatim, in the 502 the client reads and in the management credentials view.
it('an upstream error message echoing the key does not carry it into answers, logs or management views (CHAOS-BUG-5)', async () => {
  const echoMock = await startMockUpstream();
  const echoLogs: LogLines = [];
  const echoHost = await startHost(
    {
      apiKeys: [KEYS.client],
      managementKey: KEYS.mgmt,
      providers: [{ name: 'oa', type: 'openai', baseUrl: echoMock.baseUrl('openai'), apiKeys: [KEYS.up1], models: ['gpt-4.1'] }],
      retry: { requestRetry: 0 },
    },
    { logs: echoLogs },
  );
  try {
    echoMock.fault({ kind: 'status', status: 401, message: `Incorrect API key provided: ${KEYS.up1}. You can find your API key in your dashboard.` });
    const { path, body } = chatRequest('openai', 'gpt-4.1', false, 'hi');
    const answer = await fetch(`${echoHost.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders('openai', KEYS.client) }, body: JSON.stringify(body) });
    const view = await fetch(`${echoHost.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${KEYS.mgmt}` } });
    const seen = [`answer ${answer.status}: ${await answer.text()}`, `credentials: ${await view.text()}`, ...echoLogs.map((l) => `log: ${JSON.stringify(l)}`)];
    expect(seen.filter((s) => s.includes(KEYS.up1))).toEqual([]);
  } finally {
    await echoHost.close();
    await echoMock.close();
  }
});
