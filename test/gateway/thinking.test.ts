/**
 * Thinking suffixes and reasoning fields end to end: `model(N)`, `model(level)`, `model(none)`
 * reach each upstream type in its own terms with the suffix stripped, cooldowns key on the model
 * without it, and a client's own reasoning fields cross formats.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-thinking';
let mock: MockUpstream;
let host: TestHost;
beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ managementKey: MGMT, retry: { requestRetry: 0 }, providers: mockProviders(mock) });
});
afterEach(() => mock.reset());
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const chat = (model: string) => post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
const last = () => mock.requests.at(-1)!;

describe('thinking suffixes', () => {
  it('model(8192) to an Anthropic upstream: thinking.budget_tokens 8192, max_tokens above it, suffix stripped', async () => {
    const res = await chat('claude-sonnet-4-6(8192)');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-model')).toBe('claude-sonnet-4-6');
    expect(last().body.model).toBe('claude-sonnet-4-6');
    expect(last().body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(last().body.max_tokens).toBeGreaterThan(8192);
  });

  it('model(high) to an OpenAI upstream of the same format: reasoning_effort high on the passed-through body', async () => {
    expect((await chat('gpt-4.1(high)')).status).toBe(200);
    expect(last().body).toMatchObject({ model: 'gpt-4.1', reasoning_effort: 'high' });
  });

  it('model(none) to a Gemini upstream: thinkingBudget 0, the URL names the model without the suffix', async () => {
    expect((await chat('gemini-2.5-pro(none)')).status).toBe(200);
    expect(last().model).toBe('gemini-2.5-pro');
    expect(last().body.generationConfig.thinkingConfig).toMatchObject({ thinkingBudget: 0 });
  });

  it('works on provider-qualified names, and a cooldown keys on the model without the suffix', async () => {
    mock.fault({ model: 'gpt-4.1-mini', kind: 'status', status: 429, retryAfter: '30', times: 1 });
    expect((await chat('openai/gpt-4.1-mini(low)')).status).toBe(429);
    const res = await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } });
    const openai = ((await res.json()) as { id: string; models: Record<string, { status: string }> }[]).find((c) => c.id === 'openai#0')!;
    expect(openai.models['gpt-4.1-mini']?.status).toBe('cooling');
    expect(Object.keys(openai.models).some((m) => m.includes('('))).toBe(false);
    await fetch(`${host.url}/v0/management/credentials/openai%230/reset`, { method: 'POST', headers: { authorization: `Bearer ${MGMT}` } });
  });
});

describe('clients’ own reasoning fields', () => {
  it('Claude Code’s thinking budget reaches a Gemini upstream as thinkingBudget', async () => {
    const res = await post(
      '/v1/messages',
      { model: 'gemini-2.5-pro', max_tokens: 16_000, thinking: { type: 'enabled', budget_tokens: 4096 }, messages: [{ role: 'user', content: 'hi' }] },
      { 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(200);
    expect(last().body.generationConfig.thinkingConfig).toMatchObject({ thinkingBudget: 4096 });
    expect(res.headers.get('x-switchyard-dropped') ?? '').not.toContain('thinking');
  });
});
