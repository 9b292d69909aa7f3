/**
 * The conductor through HTTP with the mock's faults: cooldowns per key and model, failover,
 * fallback chains, priority tiers, strategies, session affinity, persistence across a restart,
 * credential reset, and the management views, which never show a secret.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';

const MGMT = 'mgmt-secret-key';
const KEYS = ['sk-pool-a', 'sk-pool-b', 'sk-pool-c'];

let mock: MockUpstream;
let host: TestHost | undefined;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterEach(async () => {
  await host?.close();
  host = undefined;
  mock.reset();
});
afterAll(async () => {
  await mock?.close();
});

function pool(keys = KEYS, extra: Record<string, unknown> = {}) {
  return { name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: keys, models: ['gpt-4.1'], ...extra };
}

async function start(config: Record<string, unknown>): Promise<TestHost> {
  host = await startHost({ managementKey: MGMT, ...config });
  return host;
}

async function chat(model = 'gpt-4.1', headers: Record<string, string> = {}, system = 'sys') {
  const res = await fetch(`${host!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'system', content: system }, { role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

async function management(path: string, method = 'GET') {
  const res = await fetch(`${host!.url}/v0/management${path}`, { method, headers: { authorization: `Bearer ${MGMT}` } });
  return { status: res.status, text: await res.text() };
}

async function credential(id: string) {
  const list = JSON.parse((await management('/credentials')).text) as { id: string; status: string; models: Record<string, any> }[];
  return list.find((c) => c.id === id)!;
}

/** Upstream keys the mock saw, in order. */
const keysSeen = () => mock.requests.map((r) => r.apiKey);

describe('cooldowns', () => {
  it('skips a 429 key for exactly its Retry-After, then uses it again', async () => {
    await start({ providers: [pool(KEYS.slice(0, 2))] });
    mock.fault({ key: KEYS[0], kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const first = await chat();
    const failedAt = Date.now();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchyard-credential')).toBe('pool#1');
    expect(first.headers.get('x-switchyard-attempts')).toBe('2');
    const cooling = await credential('pool#0');
    expect(cooling.models['gpt-4.1'].status).toBe('cooling');
    expect(Date.parse(cooling.models['gpt-4.1'].nextRetryAt) - failedAt).toBeGreaterThan(700);
    expect(Date.parse(cooling.models['gpt-4.1'].nextRetryAt) - failedAt).toBeLessThanOrEqual(1000);
    // The last failure shows with its status and when; the credential that served has none.
    expect(cooling.lastError).toMatch(/^429: /);
    expect(Math.abs(Date.parse(cooling.lastErrorAt) - failedAt)).toBeLessThan(1000);
    expect((await credential('pool#1')).lastError).toBeUndefined();

    mock.reset();
    for (let i = 0; i < 4; i++) expect((await chat()).status).toBe(200);
    expect(keysSeen()).toEqual(Array(4).fill(KEYS[1]));

    await new Promise((r) => setTimeout(r, Math.max(0, failedAt + 1050 - Date.now())));
    mock.reset();
    for (let i = 0; i < 2; i++) await chat();
    expect(keysSeen()).toContain(KEYS[0]);
  });

  it('cools a 401 key for 30 minutes while requests keep succeeding', async () => {
    await start({ providers: [pool()] });
    mock.fault({ key: KEYS[0], kind: 'status', status: 401 });
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    expect(keysSeen().filter((k) => k === KEYS[0])).toHaveLength(1);
    const c = await credential('pool#0');
    expect(c.status).toBe('cooling');
    expect(c.models['gpt-4.1'].reason).toMatch(/^unauthorized/);
    const minutes = (Date.parse(c.models['gpt-4.1'].nextRetryAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29.9);
    expect(minutes).toBeLessThanOrEqual(30);
  });

  it('answers 429 with Retry-After, naming the model and reset time, when every key is cooling', async () => {
    await start({ providers: [pool()] });
    mock.fault({ kind: 'status', status: 429, retryAfter: '120' });
    const r = await chat();
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(100);
    expect(r.json.error.message).toMatch(/All credentials for model gpt-4\.1 are cooling down .*next reset at \d{4}-\d\d-\d\dT/);
    expect(mock.requests).toHaveLength(3);

    // Already cooling: the next request answers 429 without calling anyone.
    mock.reset();
    expect((await chat()).status).toBe(429);
    expect(mock.requests).toHaveLength(0);
  });

  it('survive a restart', async () => {
    await start({ providers: [pool(KEYS.slice(0, 2))] });
    mock.fault({ key: KEYS[0], kind: 'status', status: 401 });
    await chat();
    await host!.restart();
    expect((await credential('pool#0')).status).toBe('cooling');
    mock.reset();
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(200);
    expect(keysSeen()).toEqual(Array(3).fill(KEYS[1]));
  });

  it('apply to a stream cut after its first byte, though it can no longer fail over', async () => {
    await start({ providers: [pool(KEYS.slice(0, 2))], cooldown: { transientSeconds: 60 } });
    mock.fault({ key: KEYS[0], kind: 'cut', afterChunks: 3, times: 1 });
    const res = await fetch(`${host!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] }),
    });
    expect(res.headers.get('x-switchyard-credential')).toBe('pool#0');
    expect(await res.text()).toContain('"error"');
    const c = await credential('pool#0');
    expect(c).toMatchObject({ status: 'cooling', failures: 1 });
    expect(c.models['gpt-4.1'].reason).toMatch(/^transient/);
  });

  it('are cleared by a credential reset', async () => {
    await start({ providers: [pool(KEYS.slice(0, 2))] });
    mock.fault({ key: KEYS[0], kind: 'status', status: 403, times: 1 });
    await chat();
    expect((await credential('pool#0')).status).toBe('cooling');
    const reset = await management('/credentials/pool%230/reset', 'POST');
    expect(reset.status).toBe(200);
    expect(JSON.parse(reset.text).status).toBe('active');
    mock.reset();
    for (let i = 0; i < 2; i++) await chat();
    expect(keysSeen()).toContain(KEYS[0]);
    expect((await management('/credentials/nope%230/reset', 'POST')).status).toBe(404);
  });
});

describe('fallback chain', () => {
  const providers = () => [
    { name: 'anthropic', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-ant'], models: ['claude-sonnet-4-6'] },
    { name: 'openai', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-oai'], models: ['gpt-4.1'] },
  ];
  const models = { smart: { primary: 'anthropic/claude-sonnet-4-6', fallbacks: ['openai/gpt-4.1', 'anthropic/claude-sonnet-4-6'] } };

  it('falls back from a failing primary, then skips it while it cools', async () => {
    await start({ providers: providers(), models });
    mock.fault({ format: 'anthropic', kind: 'status', status: 503 });
    const r = await chat('smart');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-provider')).toBe('openai');
    expect(r.headers.get('x-switchyard-attempts')).toBe('2');
    expect(r.json.choices[0].message.content).toBe('[openai:gpt-4.1] hi');

    mock.reset();
    const again = await chat('smart');
    expect(again.headers.get('x-switchyard-attempts')).toBe('1');
    expect(mock.requests.map((q) => q.format)).toEqual(['openai']);
  });

  it('ends at a 400 from the primary with no fallback', async () => {
    await start({ providers: providers(), models });
    mock.fault({ format: 'anthropic', kind: 'status', status: 400, message: 'messages: too long' });
    const r = await chat('smart');
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('too long');
    expect(mock.requests.map((q) => q.format)).toEqual(['anthropic']);
  });

  it('answers 502 listing every attempt when all candidates fail', async () => {
    await start({ providers: providers(), models });
    mock.fault({ kind: 'status', status: 500, message: 'exploded' });
    const r = await chat('smart');
    expect(r.status).toBe(502);
    expect(r.json.error.message).toMatch(/2 attempts: anthropic\/claude-sonnet-4-6 via anthropic#0: 500 exploded \(\d+ms\); openai\/gpt-4\.1 via openai#0: 500 exploded/);
  });

  it('lists virtual models', async () => {
    await start({ providers: providers(), models });
    const res = await fetch(`${host!.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['smart', 'gpt-4.1', 'claude-sonnet-4-6']));
  });
});

describe('selection', () => {
  it('uses the higher priority tier first and the lower one when it cools', async () => {
    await start({
      providers: [
        { ...pool(['sk-low']), name: 'low', priority: 0 },
        { ...pool(['sk-high']), name: 'high', priority: 5 },
      ],
    });
    for (let i = 0; i < 3; i++) await chat();
    expect(keysSeen()).toEqual(Array(3).fill('sk-high'));
    mock.reset();
    mock.fault({ key: 'sk-high', kind: 'status', status: 500 });
    const r = await chat();
    expect(r.headers.get('x-switchyard-credential')).toBe('low#0');
    mock.reset();
    await chat();
    expect(keysSeen()).toEqual(['sk-low']);
  });

  it('round-robin spreads requests over every key', async () => {
    await start({ providers: [pool()] });
    for (let i = 0; i < 6; i++) await chat();
    expect(keysSeen()).toEqual([...KEYS, ...KEYS]);
  });

  it('fill-first stays on the first key until it cools', async () => {
    await start({ providers: [pool()], routing: { strategy: 'fill-first' } });
    for (let i = 0; i < 3; i++) await chat();
    expect(keysSeen()).toEqual(Array(3).fill(KEYS[0]));
    mock.reset();
    mock.fault({ key: KEYS[0], kind: 'status', status: 429, retryAfter: '30' });
    for (let i = 0; i < 3; i++) await chat();
    expect(keysSeen()).toEqual([KEYS[0], KEYS[1], KEYS[1], KEYS[1]]);
  });

  it('session affinity keeps a session on one key and rebinds when that key cools', async () => {
    await start({ providers: [pool()], routing: { sessionAffinity: true } });
    for (let i = 0; i < 4; i++) await chat('gpt-4.1', { 'x-session-id': 'alpha' });
    const bound = keysSeen()[0]!;
    expect(keysSeen()).toEqual(Array(4).fill(bound));

    // Without an id, the conversation's opening binds it.
    mock.reset();
    for (let i = 0; i < 3; i++) await chat('gpt-4.1', {}, 'a distinctive system prompt');
    expect(new Set(keysSeen()).size).toBe(1);

    mock.reset();
    mock.fault({ key: bound, kind: 'status', status: 500 });
    await chat('gpt-4.1', { 'x-session-id': 'alpha' });
    const rebound = keysSeen()[1]!;
    expect(rebound).not.toBe(bound);
    mock.reset();
    for (let i = 0; i < 3; i++) await chat('gpt-4.1', { 'x-session-id': 'alpha' });
    expect(keysSeen()).toEqual(Array(3).fill(rebound));
  });
});

describe('management', () => {
  it('answers 404 without a managementKey and 401 with a wrong one', async () => {
    host = await startHost({ providers: [pool()] });
    expect((await management('/credentials')).status).toBe(404);
    await host.close();
    await start({ providers: [pool()] });
    const res = await fetch(`${host!.url}/v0/management/credentials`, { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(401);
  });

  it('shows credentials and the registry without any secret', async () => {
    await start({ providers: [pool(), { name: 'ant', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-ant-secret'], models: ['claude-sonnet-4-6'] }] });
    mock.fault({ key: KEYS[1], kind: 'status', status: 429, retryAfter: '60' });
    for (let i = 0; i < 3; i++) await chat();
    const creds = await management('/credentials');
    const models = await management('/models');
    const parsed = JSON.parse(creds.text) as any[];
    expect(parsed.map((c) => c.id)).toEqual(['pool#0', 'pool#1', 'pool#2', 'ant#0']);
    expect(parsed[0]).toMatchObject({ provider: 'pool', label: 'pool key 1', priority: 0, status: 'active', successes: expect.any(Number), failures: 0 });
    expect(parsed[1]).toMatchObject({ status: 'cooling', failures: 1 });
    const view = JSON.parse(models.text) as any[];
    expect(view.find((m) => m.model === 'gpt-4.1')).toMatchObject({ providers: { pool: 3 }, count: 3, available: 2, quotaExceeded: ['pool#1'] });
    const headers = JSON.stringify([...(await fetch(`${host!.url}/healthz`)).headers]);
    for (const secret of [...KEYS, 'sk-ant-secret', MGMT, CLIENT_KEY]) {
      expect(creds.text).not.toContain(secret);
      expect(models.text).not.toContain(secret);
      expect(headers).not.toContain(secret);
    }
  });

  it('reloads the config on demand and refuses an invalid one', async () => {
    await start({ providers: [pool()] });
    await host!.writeConfig({ managementKey: MGMT, providers: [pool(KEYS, { models: ['gpt-4.1-mini'] })] });
    expect((await management('/reload', 'POST')).status).toBe(200);
    expect((await chat('gpt-4.1-mini')).status).toBe(200);
    await host!.writeConfig({ managementKey: MGMT, providers: [{ name: 'pool', type: 'bogus' }] });
    const bad = await management('/reload', 'POST');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('providers[0].type');
    expect((await chat('gpt-4.1-mini')).status).toBe(200);
  });
});
