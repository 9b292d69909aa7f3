/**
 * Logs through a real host: exactly one access line per client API request, with the request id
 * and the fields an operator needs, and no secret (client key, upstream keys, management key) in
 * any line the host writes, whichever way the key was sent. A config dump is redacted too.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../host/src/index.js';
import { loadConfig } from '../../host/src/config/load.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type LogLines, type TestHost, UPSTREAM_KEYS, mockProviders, startHost } from '../helpers/host.js';
import { until } from '../helpers/plugins.js';

const MGMT = 'mgmt-secret-access-log';
const SECRETS = [CLIENT_KEY, MGMT, ...Object.values(UPSTREAM_KEYS)];

let mock: MockUpstream;
let host: TestHost;
const logs: LogLines = [];

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ providers: mockProviders(mock), managementKey: MGMT }, { logs });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

const accessLines = () => logs.filter((l) => l.msg === 'request');

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Response> {
  const res = await fetch(`${host.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  await res.arrayBuffer();
  return res;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const messages = [{ role: 'user', content: 'hi' }];

describe('access log', () => {
  it('writes one line per client API request, with its request id and what served it', async () => {
    const start = accessLines().length;
    const ok = await send('/v1/chat/completions', { headers: bearer(CLIENT_KEY), body: { model: 'gpt-4.1', messages } });
    const stream = await send('/v1/messages', {
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      body: { model: 'claude-sonnet-4-6', max_tokens: 16, stream: true, messages },
    });
    const gemini = await send(`/v1beta/models/gemini-2.5-pro:generateContent?key=${CLIENT_KEY}`, { body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } });
    const unknown = await send('/v1/chat/completions', { headers: { 'x-goog-api-key': CLIENT_KEY }, body: { model: 'no-such-model', messages } });
    const denied = await send('/v1/chat/completions', { headers: bearer('sk-wrong'), body: { model: 'gpt-4.1', messages } });
    expect([ok.status, stream.status, gemini.status, unknown.status, denied.status]).toEqual([200, 200, 200, 404, 401]);
    await until(() => accessLines().length >= start + 5);
    // A little later still exactly five: no request is logged twice.
    await new Promise((r) => setTimeout(r, 100));
    const lines = accessLines().slice(start);
    expect(lines).toHaveLength(5);
    const byId = (res: Response) => lines.filter((l) => l.requestId === res.headers.get('x-switchyard-request-id'));
    for (const res of [ok, stream, gemini, unknown, denied]) expect(byId(res)).toHaveLength(1);

    expect(byId(ok)[0]).toMatchObject({
      level: 30,
      endpoint: '/v1/chat/completions',
      method: 'POST',
      model: 'gpt-4.1',
      provider: 'openai',
      upstreamModel: 'gpt-4.1',
      credential: 'openai#0',
      attempts: 1,
      status: 200,
      stream: false,
    });
    expect(byId(ok)[0]!.durationMs).toEqual(expect.any(Number));
    expect(byId(stream)[0]).toMatchObject({ endpoint: '/v1/messages', model: 'claude-sonnet-4-6', provider: 'anthropic', credential: 'anthropic#0', attempts: 1, status: 200, stream: true });
    expect(byId(gemini)[0]).toMatchObject({ endpoint: '/v1beta/models/:target', model: 'gemini-2.5-pro', provider: 'gemini', status: 200, stream: false });
    expect(byId(unknown)[0]).toMatchObject({ model: 'no-such-model', status: 404 });
    expect(byId(unknown)[0]).not.toHaveProperty('provider');
    expect(byId(denied)[0]).toMatchObject({ endpoint: '/v1/chat/completions', status: 401 });
  });

  it('logs no access line for management, health and metrics calls', async () => {
    const start = accessLines().length;
    expect((await send('/healthz')).status).toBe(200);
    expect((await send('/metrics')).status).toBe(200);
    expect((await send('/v0/management/credentials', { headers: bearer(MGMT) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(accessLines().length).toBe(start);
  });

  it('never writes a secret, whichever header or parameter carried it', async () => {
    await send('/v0/management/credentials', { headers: bearer('mgmt-wrong') });
    await send('/v0/management/credentials', { headers: { ...bearer(MGMT), 'x-management-key': MGMT } });
    await send('/v1/models', { headers: { 'x-goog-api-key': CLIENT_KEY } });
    await send('/v1/messages/count_tokens', { headers: { 'x-api-key': CLIENT_KEY }, body: { model: 'claude-sonnet-4-6', messages } });
    await send('/v1/chat/completions', { headers: bearer(`${CLIENT_KEY}-typo`), body: { model: 'gpt-4.1', messages } });
    await until(() => logs.some((l) => l.endpoint === '/v1/messages/count_tokens'));
    expect(logs.length).toBeGreaterThan(10);
    for (const line of logs) {
      const text = JSON.stringify(line);
      for (const secret of SECRETS) expect(text, `log line ${text}`).not.toContain(secret);
    }
  });

  it('redacts the secrets of a config dump and of every key-carrying header', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('info', sink);
    const { config } = loadConfig({ file: host.configFile, env: {} });
    log.info({ config: { ...config, managementKey: MGMT, providers: config.providers.map((p) => ({ ...p, headers: { 'x-api-key': UPSTREAM_KEYS.openai } })) } }, 'config dump');
    log.info({ headers: { authorization: `Bearer ${CLIENT_KEY}`, 'x-api-key': CLIENT_KEY, 'x-goog-api-key': CLIENT_KEY, 'x-management-key': MGMT } }, 'headers');
    log.info({ request: { headers: { authorization: `Bearer ${UPSTREAM_KEYS.gemini}` }, query: { key: CLIENT_KEY } } }, 'nested');
    expect(lines).toHaveLength(3);
    for (const line of lines) for (const secret of SECRETS) expect(line).not.toContain(secret);
    expect(lines[0]).toContain('"managementKey":"[redacted]"');
    expect(lines[0]).toContain('"apiKeys":"[redacted]"');
  });
});
