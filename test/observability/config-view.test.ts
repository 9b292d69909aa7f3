/**
 * The config as management shows it (`GET /v0/management/config`): what is in force, every
 * secret redacted; and `POST /v0/management/config/validate`, which says whether the file on
 * disk would load and applies nothing.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';

const MGMT = 'mgmt-config-view-secret';
const SECRETS = [MGMT, CLIENT_KEY, 'sk-upstream-secret-1', 'sk-upstream-secret-2', 'hdr-secret', 'proxy-pass-secret', 'plugin-token-secret'];
let host: TestHost;

const config = {
  managementKey: MGMT,
  apiKeys: [{ name: 'ci-bot', key: CLIENT_KEY }],
  proxyUrl: 'http://user:proxy-pass-secret@127.0.0.1:9',
  providers: [
    {
      name: 'up',
      type: 'openai',
      baseUrl: 'http://127.0.0.1:9/v1',
      headers: { 'x-org-token': 'hdr-secret' },
      apiKeys: ['sk-upstream-secret-1', { key: 'sk-upstream-secret-2', label: 'second' }],
      models: ['gpt-4.1'],
    },
  ],
  models: { smart: { primary: 'gpt-4.1', fallbacks: [] } },
  plugins: { items: { 'some-plugin': { config: { apiToken: 'plugin-token-secret', region: 'eu' } } } },
};

beforeAll(async () => {
  host = await startHost(config);
});
afterAll(async () => {
  await host?.close();
});

const call = async (method: string, path: string) => {
  const res = await fetch(`${host.url}/v0/management${path}`, { method, headers: { authorization: `Bearer ${MGMT}` } });
  return { status: res.status, text: await res.text() };
};

describe('config view', () => {
  it('shows the config in force with every secret redacted', async () => {
    const { status, text } = await call('GET', '/config');
    expect(status).toBe(200);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const body = JSON.parse(text);
    expect(body.path).toBe(host.configFile);
    expect(body.config.apiKeys).toEqual([{ name: 'ci-bot', key: '[redacted]' }]);
    expect(body.config.providers[0]).toMatchObject({ name: 'up', apiKeys: ['[redacted]', { key: '[redacted]', label: 'second' }], headers: { 'x-org-token': '[redacted]' } });
    expect(body.config.proxyUrl).toContain('127.0.0.1:9');
    expect(body.config.models).toEqual({ smart: { primary: 'gpt-4.1', fallbacks: [] } });
    expect(body.config.plugins.items['some-plugin'].config).toEqual({ apiToken: '[redacted]', region: 'eu' });
    // Defaults show too: what is in force, not only what the file says.
    expect(body.config.routing.strategy).toBe('round-robin');
  });

  it('validates the file on disk without applying it', async () => {
    expect(JSON.parse((await call('POST', '/config/validate')).text)).toEqual({ valid: true });
    const good = await readFile(host.configFile, 'utf8');
    await host.writeConfig({ ...config, routing: { strategy: 'sideways' } });
    const { status, text } = await call('POST', '/config/validate');
    expect(status).toBe(200);
    const answer = JSON.parse(text);
    expect(answer.valid).toBe(false);
    expect(answer.error).toContain('routing.strategy');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // Nothing applied: the running config is the one before.
    expect(JSON.parse((await call('GET', '/config')).text).config.routing.strategy).toBe('round-robin');
    await host.writeConfig(config);
    expect((await readFile(host.configFile, 'utf8')).length).toBe(good.length);
    expect(JSON.parse((await call('POST', '/config/validate')).text)).toEqual({ valid: true });
  });

  it('needs the management key', async () => {
    const res = await fetch(`${host.url}/v0/management/config`);
    expect(res.status).toBe(401);
  });
});
