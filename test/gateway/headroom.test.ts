/**
 * Headroom through HTTP: the rate-limit headers an upstream sends with its answers (OpenAI
 * durations, Anthropic RFC 3339 resets), on successes and on 429s alike, show per credential and
 * model in the credentials management view and in `/metrics`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-headroom';
/** Real upstream error bodies, shared with the failure table's unit tests. */
const FIXTURES = fileURLToPath(new URL('../../host/src/core/conductor/fixtures/', import.meta.url));
let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    managementKey: MGMT,
    routing: { strategy: 'fill-first' },
    providers: [
      { name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-hr-a', 'sk-hr-b'], models: ['gpt-4.1'] },
      { name: 'an', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-hr-c'], models: ['claude-sonnet-4-6'] },
    ],
  });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function send(model: string) {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function credential(id: string): Promise<any> {
  const all = await (await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } })).json();
  return all.find((c: any) => c.id === id);
}

describe('headroom', () => {
  it('shows what each upstream said of its limits, per credential and model', async () => {
    let remaining = 100;
    mock.responseHeaders = (rec) =>
      rec.format === 'openai'
        ? { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': String(--remaining), 'x-ratelimit-reset-requests': '30s', 'x-ratelimit-limit-tokens': '-1', 'x-ratelimit-remaining-tokens': '-1' }
        : { 'anthropic-ratelimit-input-tokens-limit': '80000', 'anthropic-ratelimit-input-tokens-remaining': '79000', 'anthropic-ratelimit-input-tokens-reset': '2030-01-01T00:00:00Z' };
    const before = Date.now();
    for (let i = 0; i < 3; i++) expect(await send('gpt-4.1')).toBe(200);
    expect(await send('claude-sonnet-4-6')).toBe(200);
    const oa = await credential('oa#0');
    // The latest answer's word; Azure-style -1 is unknown, so no tokens dimension.
    expect(oa.headroom).toEqual({ 'gpt-4.1': { requests: { limit: 100, remaining: 97, resetAt: expect.any(String), source: 'openai-headers' } } });
    const reset = Date.parse(oa.headroom['gpt-4.1'].requests.resetAt) - before;
    expect(reset).toBeGreaterThanOrEqual(29_000);
    expect(reset).toBeLessThanOrEqual(31_000);
    expect((await credential('oa#1')).headroom).toBeUndefined();
    expect((await credential('an#0')).headroom).toEqual({
      'claude-sonnet-4-6': { 'input-tokens': { limit: 80000, remaining: 79000, resetAt: '2030-01-01T00:00:00.000Z', source: 'anthropic-headers' } },
    });
    const metrics = await (await fetch(`${host.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_upstream_headroom_remaining{provider="oa",credential="oa#0",model="gpt-4.1",dimension="requests"} 97');
    expect(metrics).toContain('switchyard_upstream_headroom_remaining{provider="an",credential="an#0",model="claude-sonnet-4-6",dimension="input-tokens"} 79000');
  });

  it('reads the signals of a 429 too', async () => {
    mock.responseHeaders = () => ({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' });
    mock.fault({ key: 'sk-hr-a', kind: 'status', status: 429, retryAfter: '20', times: 1 });
    expect(await send('gpt-4.1')).toBe(200);
    expect((await credential('oa#0')).headroom['gpt-4.1'].requests).toMatchObject({ remaining: 0, limit: 100 });
  });
});

describe('a pool on depleting budgets', () => {
  /** A gateway over three keys of 10 requests per 600 ms; 200 requests in a row. */
  async function drive(sendHeaders: boolean) {
    const m = await startMockUpstream();
    const gw = await startHost({
      retry: { maxRetryInterval: '5s' },
      providers: [{ name: 'tri', type: 'openai', baseUrl: m.baseUrl('openai'), apiKeys: ['sk-b-0', 'sk-b-1', 'sk-b-2'], models: ['gpt-4.1'] }],
    });
    try {
      m.budget = { requests: 10, windowMs: 600 };
      // Without the signals the gateway only learns from the 429s (the control).
      if (!sendHeaders) m.responseHeaders = () => ({ 'x-ratelimit-remaining-requests': '' });
      const statuses: number[] = [];
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
          body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      return { statuses, upstream429s: m.overBudget.length };
    } finally {
      await gw.close();
      await m.close();
    }
  }

  it('serves 200 requests with no upstream 429, where learning from refusals hits many', async () => {
    const predicted = await drive(true);
    expect(predicted.statuses.every((s) => s === 200)).toBe(true);
    expect(predicted.upstream429s).toBe(0);
    const control = await drive(false);
    expect(control.upstream429s).toBeGreaterThan(5);
  }, 60_000);
});

describe('burst and quota 429s', () => {
  it('a burst 429 keeps the session on its key; a quota 429 rotates it', async () => {
    const m = await startMockUpstream();
    const gw = await startHost({
      routing: { sessionAffinity: true },
      providers: [{ name: 'pair', type: 'openai', baseUrl: m.baseUrl('openai'), apiKeys: ['sk-s-0', 'sk-s-1'], models: ['gpt-4.1'] }],
    });
    const send = async (session: string) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, 'x-session-id': session },
        body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
      return { status: res.status, credential: res.headers.get('x-switchyard-credential') };
    };
    const keyOf = (credential: string | null) => (credential === 'pair#0' ? 'sk-s-0' : 'sk-s-1');
    try {
      const bound = (await send('burst')).credential;
      m.fault({ key: keyOf(bound), kind: 'status', status: 429, retryAfter: '1', times: 1 });
      const during = await send('burst');
      expect(during.status).toBe(200);
      expect(during.credential).not.toBe(bound);
      await new Promise((r) => setTimeout(r, 1_100));
      // Back on its own key (and prompt cache) once the pause is over.
      expect((await send('burst')).credential).toBe(bound);

      const held = (await send('quota')).credential;
      m.fault({ key: keyOf(held), kind: 'status', status: 429, retryAfter: '60', times: 1 });
      const moved = await send('quota');
      expect(moved.credential).not.toBe(held);
      // Rotated for good: the session stays on the key that served it.
      expect((await send('quota')).credential).toBe(moved.credential);
    } finally {
      await gw.close();
      await m.close();
    }
  });
});

describe('Gemini quota answers', () => {
  it('limit: 0 disables the model on that key; a RetryInfo delay is the cooldown', async () => {
    const m = await startMockUpstream();
    const gw = await startHost({
      managementKey: MGMT,
      routing: { strategy: 'fill-first' },
      // Answer the all-cooling 429 at once rather than wait the 12 s out.
      retry: { maxRetryInterval: 0 },
      providers: [{ name: 'ge', type: 'gemini', baseUrl: m.baseUrl('gemini'), apiKeys: ['ge-key-0', 'ge-key-1'], models: ['gemini-2.5-pro'] }],
    });
    const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
    const view = async (id: string) => (await (await fetch(`${gw.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } })).json()).find((c: any) => c.id === id);
    const ask = () =>
      fetch(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_KEY },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      }).then(async (r) => (await r.arrayBuffer(), r.status));
    try {
      m.fault({ key: 'ge-key-0', kind: 'status', status: 429, body: fixture('gemini-quota-limit-zero'), times: 1 });
      expect(await ask()).toBe(200);
      const disabled = (await view('ge#0')).models['gemini-2.5-pro'];
      expect(disabled.status).toBe('disabled');
      expect(Date.parse(disabled.nextRetryAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
      m.fault({ key: 'ge-key-1', kind: 'status', status: 429, body: fixture('gemini-rate-limit'), times: 1 });
      const before = Date.now();
      expect(await ask()).toBe(429);
      const cooling = (await view('ge#1')).models['gemini-2.5-pro'];
      expect(cooling.status).toBe('cooling');
      // The body's RetryInfo (12 s), not the backoff ladder's 1 s.
      expect(Date.parse(cooling.nextRetryAt) - before).toBeGreaterThan(11_000);
      expect(Date.parse(cooling.nextRetryAt) - before).toBeLessThan(13_500);
    } finally {
      await gw.close();
      await m.close();
    }
  });
});

describe('the headroom strategy', () => {
  it('sends each request to the key with the most budget left, and spreads a pool evenly', async () => {
    const m = await startMockUpstream();
    const gw = await startHost({
      routing: { strategy: 'headroom' },
      providers: [{ name: 'tri', type: 'openai', baseUrl: m.baseUrl('openai'), apiKeys: ['sk-h-0', 'sk-h-1', 'sk-h-2'], models: ['gpt-4.1'] }],
    });
    try {
      m.budget = { requests: 10, windowMs: 60_000 };
      for (let i = 0; i < 30; i++) {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
          body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.arrayBuffer();
        expect(res.status).toBe(200);
      }
      const uses = ['sk-h-0', 'sk-h-1', 'sk-h-2'].map((k) => m.requests.filter((r) => r.apiKey === k).length);
      expect(uses).toEqual([10, 10, 10]);
      expect(m.overBudget).toEqual([]);
    } finally {
      await gw.close();
      await m.close();
    }
  });
});

describe('token budgets', () => {
  it('a request larger than what a key has left goes to another key without being sent there; a small one still fits', async () => {
    const m = await startMockUpstream();
    const gw = await startHost({
      routing: { strategy: 'fill-first' },
      providers: [{ name: 'tk', type: 'openai', baseUrl: m.baseUrl('openai'), apiKeys: ['sk-t-0', 'sk-t-1'], models: ['gpt-4.1'] }],
    });
    const send = async (content: string) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content }] }),
      });
      await res.arrayBuffer();
      return res.headers.get('x-switchyard-credential');
    };
    try {
      // Key 0 says it has 200 tokens left for the next minute; key 1 says nothing.
      m.responseHeaders = (rec) => (rec.apiKey === 'sk-t-0' ? { 'x-ratelimit-limit-tokens': '30000', 'x-ratelimit-remaining-tokens': '200', 'x-ratelimit-reset-tokens': '60s' } : undefined);
      expect(await send('hi')).toBe('tk#0');
      m.requests.length = 0;
      // About 1,000 tokens: more than key 0 has left.
      expect(await send('word '.repeat(800))).toBe('tk#1');
      expect(m.requests.map((r) => r.apiKey)).toEqual(['sk-t-1']);
      expect(await send('hi again')).toBe('tk#0');
    } finally {
      await gw.close();
      await m.close();
    }
  });
});
