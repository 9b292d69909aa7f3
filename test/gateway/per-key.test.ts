/**
 * Per-key settings end to end: a key on its own endpoint with its own headers, a label that shows
 * in management while the key never does, and a key with fewer models than its provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-per-key';
let main: MockUpstream;
let regional: MockUpstream;
let host: TestHost;
beforeAll(async () => {
  main = await startMockUpstream();
  regional = await startMockUpstream();
  host = await startHost({
    managementKey: MGMT,
    routing: { strategy: 'round-robin' },
    providers: [
      {
        name: 'oa',
        type: 'openai',
        baseUrl: main.baseUrl('openai'),
        headers: { 'x-org': 'acme' },
        models: ['gpt-4.1', 'gpt-4.1-mini'],
        apiKeys: [
          'sk-main-key',
          { key: 'sk-eu-key', label: 'eu region', baseUrl: regional.baseUrl('openai'), headers: { 'x-team': 'eu' }, models: ['gpt-4.1'] },
        ],
      },
    ],
  });
});
afterAll(async () => {
  await host?.close();
  await main?.close();
  await regional?.close();
});

async function chat(model: string) {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res;
}

describe('per-key settings', () => {
  it('a key with its own baseUrl and headers is called there, with its provider’s headers too', async () => {
    for (let i = 0; i < 4; i++) expect((await chat('gpt-4.1')).status).toBe(200);
    expect(main.requests.map((r) => r.apiKey)).toEqual(['sk-main-key', 'sk-main-key']);
    expect(regional.requests.map((r) => r.apiKey)).toEqual(['sk-eu-key', 'sk-eu-key']);
    expect(regional.requests[0]!.headers).toMatchObject({ 'x-team': 'eu', 'x-org': 'acme' });
    expect(main.requests[0]!.headers['x-team']).toBeUndefined();
  });

  it('a key with fewer models serves only those', async () => {
    main.reset();
    regional.reset();
    for (let i = 0; i < 3; i++) expect((await chat('gpt-4.1-mini')).headers.get('x-switchyard-credential')).toBe('oa#0');
    expect(regional.requests).toHaveLength(0);
  });

  it('management shows the label and never the key', async () => {
    const res = await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } });
    const text = await res.text();
    expect(JSON.parse(text).map((c: { id: string; label: string }) => [c.id, c.label])).toEqual([
      ['oa#0', 'oa key 1'],
      ['oa#1', 'eu region'],
    ]);
    expect(text).not.toContain('sk-main-key');
    expect(text).not.toContain('sk-eu-key');
  });
});
