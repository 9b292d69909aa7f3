/**
 * failClosed covers a guard that cannot run at all, not only one that throws: while a plugin
 * configured fail-closed is fused, failed to start or rejected, requests are refused with 503
 * instead of passing unguarded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { pluginsDir } from '../helpers/plugins.js';

let mock: MockUpstream;
let host: TestHost;
let config: Record<string, unknown>;

beforeAll(async () => {
  mock = await startMockUpstream();
  config = {
    providers: [{ name: 'openai', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-o'], models: ['gpt-4.1'] }],
    plugins: { dir: await pluginsDir(['setup-throws']), items: { 'setup-throws': { failClosed: true } } },
  };
  host = await startHost(config, { watch: true });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

const status = async () => {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
};

it('refuses requests while a fail-closed plugin cannot run, and serves again once it is disabled', async () => {
  const refused = await status();
  expect(refused.status).toBe(503);
  expect(refused.body.error?.message).toContain('setup-throws');
  expect(mock.requests).toHaveLength(0);

  await host.writeConfig({ ...config, plugins: { ...(config.plugins as object), items: { 'setup-throws': { failClosed: true, enabled: false } } } });
  await expect.poll(async () => (await status()).status, { timeout: 5000 }).toBe(200);
});
