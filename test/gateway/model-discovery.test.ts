/**
 * Model lists per credential: each key lists its own models, so a dead first key hides nothing;
 * a listing that fails keeps the last good one, across a reload too; and lists are fetched again
 * every `discoveryInterval`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_KEY } from '../helpers/host.js';
import { mockWithHostPerTest } from '../helpers/per-test-host.js';

const MGMT = 'mgmt-discovery';
const t = mockWithHostPerTest();
afterEach(() => {
  t.mock.models.gemini = ['gemini-2.5-pro', 'gemini-2.5-flash'];
});

const listed = async () => {
  const res = await fetch(`${t.host.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
  return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id).sort();
};
const listings = () => t.mock.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/models'));

function gemini(apiKeys: unknown[], extra: Record<string, unknown> = {}) {
  return { name: 'gemini', type: 'gemini', baseUrl: t.mock.baseUrl('gemini'), apiKeys, ...extra };
}

describe('model lists per credential', () => {
  it('a dead first key hides none of the models the others list', async () => {
    t.mock.fault({ key: 'gm-dead', kind: 'status', status: 400, message: 'API key not valid. Please pass a valid API key.' });
    await t.start({ providers: [gemini(['gm-dead', 'gm-good'])] });
    expect(await listed()).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
    // Each key was asked for its own list.
    expect(listings().map((r) => r.apiKey).sort()).toEqual(['gm-dead', 'gm-good']);
  });

  it('a key’s own models narrow what it serves from the listing', async () => {
    await t.start({ providers: [gemini([{ key: 'gm-free', models: ['gemini-2.5-flash'] }])] });
    expect(await listed()).toEqual(['gemini-2.5-flash']);
  });

  it('a listing that fails on reload keeps the last good list', async () => {
    await t.start({ managementKey: MGMT, providers: [gemini(['gm-a', 'gm-b'])] });
    expect(await listed()).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
    t.mock.fault({ format: 'gemini', kind: 'status', status: 503 });
    const reload = await fetch(`${t.host.url}/v0/management/reload`, { method: 'POST', headers: { authorization: `Bearer ${MGMT}` } });
    expect(reload.status).toBe(200);
    expect(await listed()).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
  });

  it('lists again every discoveryInterval', async () => {
    await t.start({ providers: [gemini(['gm-a'], { discoveryInterval: '1s' })] });
    expect(await listed()).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
    t.mock.models.gemini = ['gemini-3-pro'];
    const deadline = Date.now() + 5000;
    let models = await listed();
    while (!models.includes('gemini-3-pro') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      models = await listed();
    }
    expect(models).toEqual(['gemini-3-pro']);
  });
});
