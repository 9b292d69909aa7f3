/**
 * One truth for availability: `/v1/models` and the management view read the cooldowns the
 * conductor keeps, at the moment of asking. A key free again after `Retry-After` counts again at
 * once; a model whose keys are all rejected is hidden and comes back the moment one is usable.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_KEY } from '../helpers/host.js';
import { mockWithHostPerTest } from '../helpers/per-test-host.js';

const MGMT = 'mgmt-availability';
const t = mockWithHostPerTest();

const auth = { authorization: `Bearer ${CLIENT_KEY}` };
async function listed(): Promise<string[]> {
  const res = await fetch(`${t.host.url}/v1/models`, { headers: auth });
  return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
}
async function chat(model: string) {
  const res = await fetch(`${t.host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
async function modelsView() {
  const res = await fetch(`${t.host.url}/v0/management/models`, { headers: { authorization: `Bearer ${MGMT}` } });
  return (await res.json()) as { model: string; available: number; quotaExceeded: string[]; suspended: Record<string, string> }[];
}

describe('availability from the state store', () => {
  it('a single-key model answered 429 Retry-After: 1 stays listed throughout and is served again about a second later', async () => {
    await t.start({
      managementKey: MGMT,
      retry: { requestRetry: 0, maxRetryInterval: '10ms' },
      providers: [{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-one'], models: ['gpt-4.1'] }],
    });
    t.mock.fault({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    expect(await chat('gpt-4.1')).toBe(429);
    const failedAt = Date.now();
    expect((await modelsView()).find((m) => m.model === 'gpt-4.1')).toMatchObject({ available: 0, quotaExceeded: ['oa#0'] });
    // Polled, bounded: listed at every look, and counted again once its second is over (5 min before).
    let freeAfter: number | undefined;
    while (freeAfter === undefined && Date.now() - failedAt < 3_000) {
      expect(await listed()).toContain('gpt-4.1');
      const view = (await modelsView()).find((m) => m.model === 'gpt-4.1');
      if (view?.available === 1) freeAfter = Date.now() - failedAt;
      else await sleep(50);
    }
    expect(freeAfter, 'counted again within 3 s').toBeDefined();
    expect(freeAfter).toBeGreaterThan(500);
    expect((await modelsView()).find((m) => m.model === 'gpt-4.1')).toMatchObject({ quotaExceeded: [], suspended: {} });
    expect(await chat('gpt-4.1')).toBe(200);
    expect(await listed()).toContain('gpt-4.1');
  });

  it('a model whose only key was rejected is hidden, and listed again the moment the key is usable', async () => {
    await t.start({
      managementKey: MGMT,
      retry: { requestRetry: 0 },
      providers: [{ name: 'oa', type: 'openai', baseUrl: t.mock.baseUrl('openai'), apiKeys: ['sk-revoked'], models: ['gpt-4.1', 'gpt-4.1-mini'] }],
    });
    t.mock.fault({ model: 'gpt-4.1-mini', kind: 'status', status: 401, times: 1 });
    expect(await chat('gpt-4.1-mini')).toBe(401);
    expect(await listed()).toEqual(['gpt-4.1']);
    expect((await modelsView()).find((m) => m.model === 'gpt-4.1-mini')).toMatchObject({ available: 0, suspended: { 'oa#0': 'unauthorized' } });
    // A reset ends the cooldown: nothing else to clear, the listing follows at once.
    await fetch(`${t.host.url}/v0/management/credentials/oa%230/reset`, { method: 'POST', headers: { authorization: `Bearer ${MGMT}` } });
    expect((await listed()).sort()).toEqual(['gpt-4.1', 'gpt-4.1-mini']);
  });
});
