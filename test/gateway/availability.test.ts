/**
 * One truth for availability: `/v1/models` and the management view read the cooldowns the
 * conductor keeps, at the moment of asking. A key free again after `Retry-After` counts again at
 * once; a model whose keys are all rejected is hidden and comes back the moment one is usable.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-availability';
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

const auth = { authorization: `Bearer ${CLIENT_KEY}` };
async function listed(): Promise<string[]> {
  const res = await fetch(`${host!.url}/v1/models`, { headers: auth });
  return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
}
async function chat(model: string) {
  const res = await fetch(`${host!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
async function modelsView() {
  const res = await fetch(`${host!.url}/v0/management/models`, { headers: { authorization: `Bearer ${MGMT}` } });
  return (await res.json()) as { model: string; available: number; quotaExceeded: string[]; suspended: Record<string, string> }[];
}

describe('availability from the state store', () => {
  it('a key cooling for Retry-After: 1 stays listed, is quota-exceeded for that second only, and serves again', async () => {
    host = await startHost({
      managementKey: MGMT,
      retry: { requestRetry: 0, maxRetryInterval: '10ms' },
      providers: [{ name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-one'], models: ['gpt-4.1'] }],
    });
    mock.fault({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    expect(await chat('gpt-4.1')).toBe(429);
    expect(await listed()).toContain('gpt-4.1');
    expect((await modelsView()).find((m) => m.model === 'gpt-4.1')).toMatchObject({ available: 0, quotaExceeded: ['oa#0'] });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await modelsView()).find((m) => m.model === 'gpt-4.1')).toMatchObject({ available: 1, quotaExceeded: [] });
    expect(await chat('gpt-4.1')).toBe(200);
  });

  it('a model whose only key was rejected is hidden, and listed again the moment the key is usable', async () => {
    host = await startHost({
      managementKey: MGMT,
      retry: { requestRetry: 0 },
      providers: [{ name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-revoked'], models: ['gpt-4.1', 'gpt-4.1-mini'] }],
    });
    mock.fault({ model: 'gpt-4.1-mini', kind: 'status', status: 401, times: 1 });
    expect(await chat('gpt-4.1-mini')).toBe(401);
    expect(await listed()).toEqual(['gpt-4.1']);
    expect((await modelsView()).find((m) => m.model === 'gpt-4.1-mini')).toMatchObject({ available: 0, suspended: { 'oa#0': 'unauthorized' } });
    // A reset ends the cooldown: nothing else to clear, the listing follows at once.
    await fetch(`${host.url}/v0/management/credentials/oa%230/reset`, { method: 'POST', headers: { authorization: `Bearer ${MGMT}` } });
    expect((await listed()).sort()).toEqual(['gpt-4.1', 'gpt-4.1-mini']);
  });
});
