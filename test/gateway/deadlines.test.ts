/**
 * The client's deadline, kept: retries and fallbacks planned inside `x-switchyard-timeout-ms` /
 * `X-Stainless-Timeout`, a slow first candidate cut in time for the fallback, a 504 before the
 * deadline when every candidate is cooling past it, and `x-should-retry: false` keeping the
 * `openai` SDK from multiplying the gateway's own retries.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost(config());
});

function config() {
  return {
    managementKey: 'mgmt-deadlines',
    retry: { requestRetry: 0 },
    providers: [
      { name: 'slow', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-dl-slow'], models: ['gpt-4.1'] },
      { name: 'fast', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-dl-fast'], models: ['claude-sonnet-4-6'] },
    ],
    models: {
      smart: { primary: 'slow/gpt-4.1', fallbacks: ['fast/claude-sonnet-4-6'] },
      // A deadline of its own, without the client asking.
      quick: { primary: 'slow/gpt-4.1', fallbacks: ['fast/claude-sonnet-4-6'], timeout: '2s' },
    },
  };
}
afterEach(() => mock.reset());
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function chat(model: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = await res.json();
  return { status: res.status, ms: performance.now() - started, headers: res.headers, body };
}

describe('deadlines', () => {
  it('cuts a slow first candidate at half the budget, so the fallback answers within a 2 s deadline', async () => {
    mock.fault({ key: 'sk-dl-slow', kind: 'slow', delayMs: 5_000, times: 1 });
    const answer = await chat('smart', { 'x-switchyard-timeout-ms': '2000' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-switchyard-provider')).toBe('fast');
    expect(answer.ms).toBeLessThan(2_000);
    expect(answer.ms).toBeGreaterThanOrEqual(950);
    // Cut by the plan, not the upstream's fault: the slow key is not cooled.
    const again = await chat('gpt-4.1');
    expect(again.status).toBe(200);
  }, 15_000);

  it("keeps a virtual model's own deadline", async () => {
    mock.fault({ key: 'sk-dl-slow', kind: 'slow', delayMs: 5_000, times: 1 });
    const answer = await chat('quick');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-switchyard-provider')).toBe('fast');
    expect(answer.ms).toBeLessThan(2_000);
  });

  it('goes straight to the fallback past a candidate cooling for 30 s', async () => {
    mock.fault({ key: 'sk-dl-slow', kind: 'status', status: 429, retryAfter: '30', times: 1 });
    expect((await chat('gpt-4.1')).status).toBe(429);
    const answer = await chat('smart', { 'x-switchyard-timeout-ms': '2000' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-switchyard-provider')).toBe('fast');
    expect(answer.ms).toBeLessThan(2_000);
    // The trace says why the primary was skipped: its cooldown outlives the deadline.
    const id = answer.headers.get('x-switchyard-request-id');
    const trace = await (await fetch(`${host.url}/v0/management/requests/${id}`, { headers: { authorization: 'Bearer mgmt-deadlines' } })).json();
    expect(trace.candidates[0]).toMatchObject({ provider: 'slow', model: 'gpt-4.1', skipped: { reason: 'deadline' } });
    expect(trace.attempts.map((a: { credential: string }) => a.credential)).toEqual(['fast#0']);
  });

  it('answers 504 before the deadline when every candidate is cooling past it', async () => {
    // slow is still cooling from the test before; now fast cools too.
    mock.fault({ key: 'sk-dl-fast', kind: 'status', status: 429, retryAfter: '30', times: 1 });
    await chat('claude-sonnet-4-6');
    const answer = await chat('smart', { 'x-switchyard-timeout-ms': '2000' });
    expect(answer.status).toBe(504);
    expect(answer.ms).toBeLessThan(2_000);
    expect(answer.headers.get('x-should-retry')).toBe('false');
    expect(answer.body.error.message).toMatch(/deadline/);
    // Without a deadline of its own the same request is the usual all-cooling 429.
    expect((await chat('smart')).status).toBe(429);
  });

  it("reads the openai SDK's own timeout (X-Stainless-Timeout), and its retries stop at x-should-retry: false", async () => {
    // A host of its own: the others' keys are cooling from the tests before.
    const fresh = await startHost(config());
    try {
      await sdkCase(fresh);
    } finally {
      await fresh.close();
    }
  }, 15_000);
});

async function sdkCase(fresh: TestHost) {
  {
    mock.fault({ key: 'sk-dl-slow', kind: 'slow', delayMs: 5_000, times: 1 });
    const client = new OpenAI({ baseURL: `${fresh.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 3 });
    const started = performance.now();
    // A request's own timeout is what the SDK tells the server (X-Stainless-Timeout: 2).
    const completion = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }, { timeout: 2_000, maxRetries: 0 });
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(performance.now() - started).toBeLessThan(2_000);
    mock.reset();
    mock.fault({ kind: 'status', status: 500 });
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 502 });
    // One upstream call: the SDK took x-should-retry: false and did not send the request again.
    expect(mock.requests).toHaveLength(1);
  }
}
