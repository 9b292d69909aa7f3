/**
 * Decision traces through HTTP: every client request's trace is kept in the ring and served by
 * `GET /v0/management/requests[/{id}]`: the attempts with the cooldowns they caused, the
 * candidates with each credential's state and why one was skipped, the pick and why, fallback
 * hops; pages newest first with a cursor, and filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { pluginsDir } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-traces';
const KEYS = ['sk-trace-a', 'sk-trace-b', 'sk-trace-c'];
let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    managementKey: MGMT,
    logging: { requests: 50 },
    providers: [
      { name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: KEYS, models: ['gpt-4.1'] },
      { name: 'backup', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-trace-backup'], models: ['claude-sonnet-4-6'] },
      { name: 'rr', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-rr-0', 'sk-rr-1', 'sk-rr-2'], models: ['gpt-4o-mini'] },
    ],
    models: { smart: { primary: 'pool/gpt-4.1', fallbacks: ['backup/claude-sonnet-4-6'] } },
  });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function chat(model: string) {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, id: res.headers.get('x-switchyard-request-id')! };
}

async function management(path: string, post?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${host.url}/v0/management${path}`, {
    method: post === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${MGMT}`, ...(post === undefined ? {} : { 'content-type': 'application/json' }) },
    body: post === undefined ? undefined : JSON.stringify(post),
  });
  return { status: res.status, body: await res.json() };
}

async function served(model: string): Promise<string> {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.headers.get('x-switchyard-credential')!;
}

const explainChat = (model: string) => management('/explain', { format: 'openai', body: { model, messages: [{ role: 'user', content: 'hi' }] } });

describe('decision traces', () => {
  it('a failover: the 429 attempt with the cooldown it caused, the attempt that served, and why that credential', async () => {
    mock.fault({ key: KEYS[0], kind: 'status', status: 429, retryAfter: '30', times: 1 });
    const sent = Date.now();
    const { status, id } = await chat('gpt-4.1');
    expect(status).toBe(200);
    const { body: trace } = await management(`/requests/${id}`);
    expect(trace).toMatchObject({ id, status: 200, model: 'gpt-4.1', provider: 'pool', format: 'openai', fallbackHops: 0 });
    expect(trace.credential).toMatch(/^pool#[12]$/);
    expect(trace.attempts).toHaveLength(2);
    expect(trace.attempts[0]).toMatchObject({ provider: 'pool', model: 'gpt-4.1', credential: 'pool#0', status: 429 });
    const until = Date.parse(trace.attempts[0].cooldownUntil);
    expect(until - sent).toBeGreaterThan(25_000);
    expect(until - sent).toBeLessThan(35_000);
    expect(trace.attempts[1]).toMatchObject({ credential: trace.credential, status: 200 });
    expect(trace.picked).toEqual({ credential: trace.credential, why: 'round-robin' });
    // When the conductor turned to the pool, every credential was ready: counted, not listed.
    expect(trace.candidates).toEqual([{ provider: 'pool', model: 'gpt-4.1', credentials: [], active: KEYS.length }]);
    expect(trace.timings.hostMs).toBeGreaterThan(0);
    expect(JSON.stringify(trace)).not.toContain('sk-trace');
  });

  it('the next request sees that credential cooling, until when and why', async () => {
    const { id } = await chat('gpt-4.1');
    const { body: trace } = await management(`/requests/${id}`);
    // Only the credential that was not active is listed; the other two are counted.
    expect(trace.candidates[0].credentials).toHaveLength(1);
    expect(trace.candidates[0].active).toBe(2);
    const cooling = trace.candidates[0].credentials.find((c: { id: string }) => c.id === 'pool#0');
    expect(cooling).toMatchObject({ status: 'cooling', reason: expect.stringMatching(/^quota/) });
    expect(Date.parse(cooling.nextRetryAt)).toBeGreaterThan(Date.now() + 20_000);
    expect(trace.attempts.map((a: { credential: string }) => a.credential)).not.toContain('pool#0');
  });

  it('a fallback hop: the primary candidate skipped as cooling, the fallback picked', async () => {
    mock.fault({ kind: 'status', status: 429, retryAfter: '60', model: 'gpt-4.1' });
    try {
      const first = await chat('smart');
      expect(first.status).toBe(200);
      const { body: hopped } = await management(`/requests/${first.id}`);
      expect(hopped.fallbackHops).toBe(1);
      expect(hopped.provider).toBe('backup');
      expect(hopped.attempts.at(-1)).toMatchObject({ provider: 'backup', credential: 'backup#0', status: 200 });
      expect(hopped.attempts.slice(0, -1).every((a: { status: number }) => a.status === 429)).toBe(true);

      const second = await chat('smart');
      const { body: skipped } = await management(`/requests/${second.id}`);
      expect(skipped.candidates[0]).toMatchObject({ provider: 'pool', model: 'gpt-4.1', skipped: { reason: 'cooling', until: expect.any(String) } });
      expect(skipped.candidates[1]).toMatchObject({ provider: 'backup', model: 'claude-sonnet-4-6' });
      expect(skipped.candidates[1].skipped).toBeUndefined();
      expect(skipped.attempts).toEqual([expect.objectContaining({ provider: 'backup', status: 200 })]);
      expect(skipped.picked).toEqual({ credential: 'backup#0', why: 'only-ready' });
    } finally {
      mock.reset();
    }
  });

  it('a stream: its time to first event', async () => {
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi there' }] }),
    });
    await res.text();
    const { body: trace } = await management(`/requests/${res.headers.get('x-switchyard-request-id')}`);
    expect(trace.stream).toBe(true);
    expect(trace.timings.ttftMs).toBeGreaterThan(0);
    expect(trace.timings.ttftMs).toBeLessThanOrEqual(trace.ms);
  });

  it('pages newest first with a cursor, filters, and answers bad queries with 400', async () => {
    const first = await management('/requests?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await management(`/requests?limit=2&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.items, ...second.body.items].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Date.parse(first.body.items[0].time)).toBeGreaterThanOrEqual(Date.parse(second.body.items[0].time));

    const backup = await management('/requests?provider=backup');
    expect(backup.body.items.length).toBeGreaterThanOrEqual(2);
    expect(backup.body.items.every((t: { provider: string }) => t.provider === 'backup')).toBe(true);
    expect(backup.body.nextCursor).toBeNull();
    const viaPool0 = await management('/requests?credential=pool%230');
    expect(viaPool0.body.items.length).toBeGreaterThanOrEqual(1);
    expect((await management(`/requests?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.items).toEqual([]);

    for (const bad of ['limit=0', 'limit=501', 'status=abc', 'since=yesterday', 'cursor=x', 'colour=red']) {
      const res = await management(`/requests?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await management('/requests/nope')).status).toBe(404);
  });
});

describe('explain', () => {
  it('names the credential the same request then gets, and moves nothing itself', async () => {
    for (let i = 0; i < 4; i++) {
      const { status, body: plan } = await explainChat('gpt-4o-mini');
      expect(status).toBe(200);
      // Asked twice, the same answer: explain moved no cursor.
      expect((await explainChat('gpt-4o-mini')).body.picked).toEqual(plan.picked);
      expect(plan.picked).toMatchObject({ provider: 'rr', model: 'gpt-4o-mini', why: 'round-robin' });
      expect(await served('gpt-4o-mini')).toBe(plan.picked.credential);
    }
  });

  it('shows the chain with each credential\'s state, a cooling primary skipped, and no upstream call', async () => {
    mock.fault({ kind: 'status', status: 429, retryAfter: '60', model: 'gpt-4.1' });
    try {
      await chat('smart');
      const calls = mock.requests.length;
      const { body: plan } = await explainChat('smart');
      expect(mock.requests.length).toBe(calls);
      expect(plan.chain[0]).toMatchObject({ provider: 'pool', model: 'gpt-4.1', skipped: { reason: 'cooling' } });
      expect(plan.chain[0].credentials.every((c: { status: string }) => c.status === 'cooling')).toBe(true);
      expect(plan.chain[1]).toMatchObject({ provider: 'backup', model: 'claude-sonnet-4-6', credentials: [{ id: 'backup#0', status: 'active' }] });
      expect(plan.picked).toMatchObject({ provider: 'backup', credential: 'backup#0' });
      expect(plan.routers).toEqual([]);
    } finally {
      mock.reset();
    }
  });

  it('answers the other formats, and bad input with 400 or 404 in the management format', async () => {
    const gemini = await management('/explain', { format: 'gemini', model: 'gpt-4o-mini', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } });
    expect(gemini.body.picked).toMatchObject({ provider: 'rr' });
    const anthropic = await management('/explain', { format: 'anthropic', body: { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } });
    expect(anthropic.body.picked).toMatchObject({ provider: 'backup', credential: 'backup#0' });
    expect((await management('/explain', { format: 'cobol', body: {} })).status).toBe(400);
    expect((await management('/explain', { format: 'openai', body: 'hi' })).status).toBe(400);
    expect((await management('/explain', { format: 'openai', body: { model: 'gpt-4o-mini', messages: 'nope' } })).status).toBe(400);
    expect((await explainChat('no-such-model')).status).toBe(404);
  });
});

describe('plugins in traces and explain', () => {
  let plugged: TestHost;
  beforeAll(async () => {
    plugged = await startHost({
      managementKey: MGMT,
      providers: [{ name: 'two', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-pl-0', 'sk-pl-1', 'sk-pl-2'], models: ['gpt-4.1', 'gpt-4.1-mini'] }],
      plugins: { dir: await pluginsDir(['interceptor-rewrite', 'interceptor-reject', 'response-stamp', 'scheduler-last']) },
    });
  });
  afterAll(async () => {
    await plugged?.close();
  });

  async function send(model: string, content: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${plugged.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
    await res.arrayBuffer();
    const id = res.headers.get('x-switchyard-request-id')!;
    const trace = await (await fetch(`${plugged.url}/v0/management/requests/${id}`, { headers: { authorization: `Bearer ${MGMT}` } })).json();
    return { status: res.status, credential: res.headers.get('x-switchyard-credential'), trace };
  }

  it('names the paths each interceptor changed, never the values', async () => {
    const { status, trace } = await send('gpt-4.1', 'please rewrite-me', { 'x-remove-me': 'x' });
    expect(status).toBe(200);
    const verdict = (id: string) => trace.plugins.find((p: any) => p.plugin === id);
    expect(verdict('interceptor-rewrite')).toMatchObject({ stage: 'beforeAuth', verdict: 'changed: headers.x-rewritten, headers.x-remove-me, body.messages[0].content' });
    expect(verdict('interceptor-reject')).toMatchObject({ stage: 'beforeAuth', verdict: 'passed' });
    expect(verdict('response-stamp')).toMatchObject({ stage: 'response', verdict: 'changed: headers.x-stamped, body.choices[0].message.content' });
    expect(JSON.stringify(trace.plugins)).not.toContain('please rewritten');
  });

  it('shows the interceptor that rejected a request', async () => {
    const { status, trace } = await send('gpt-4.1', 'a forbidden-word here');
    expect(status).toBe(403);
    expect(trace.plugins.find((p: any) => p.plugin === 'interceptor-reject')).toMatchObject({ stage: 'beforeAuth', verdict: 'rejected: 403' });
    expect(trace.attempts).toEqual([]);
  });

  it('explain asks the scheduler plugin, and the real request goes where it said', async () => {
    const res = await fetch(`${plugged.url}/v0/management/explain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MGMT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'openai', body: { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] } }),
    });
    const plan = await res.json();
    expect(plan.picked).toMatchObject({ provider: 'two', credential: 'two#2', why: 'scheduler:scheduler-last' });
    const sent = await send('gpt-4.1-mini', 'hi');
    expect(sent.credential).toBe('two#2');
    expect(sent.trace.picked).toEqual({ credential: 'two#2', why: 'scheduler:scheduler-last' });
  });
});
