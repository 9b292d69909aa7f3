/**
 * Outbound proxies through real proxies on loopback: an HTTP CONNECT proxy and a SOCKS5 proxy
 * the test starts. The most specific `proxyUrl` wins (key, then provider, then top level),
 * `direct` means none, and a proxy's password never reaches an answer, the management view or
 * a log line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type LogLines, type TestHost, startHost } from '../helpers/host.js';
import { type TestProxy, startConnectProxy, startSocks5Proxy } from '../helpers/proxies.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-proxy';
let mock: MockUpstream;
let connectProxy: TestProxy;
let socks: TestProxy;
let host: TestHost | undefined;
const mockTarget = () => new URL(mock.url).host;

beforeAll(async () => {
  mock = await startMockUpstream();
  connectProxy = await startConnectProxy();
  socks = await startSocks5Proxy();
});
afterEach(async () => {
  await host?.close();
  host = undefined;
  mock.reset();
  connectProxy.tunnels.length = 0;
  socks.tunnels.length = 0;
});
afterAll(async () => {
  await mock?.close();
  await connectProxy?.close();
  await socks?.close();
});

async function chat(model: string) {
  const res = await fetch(`${host!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const provider = (name: string, model: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'openai',
  baseUrl: mock.baseUrl('openai'),
  apiKeys: [`sk-${name}`],
  models: [model],
  ...extra,
});

describe('outbound proxies', () => {
  it('tunnels a provider’s calls through an HTTP CONNECT proxy with credentials', async () => {
    host = await startHost({ providers: [provider('viaconnect', 'gpt-4.1', { proxyUrl: connectProxy.url })] });
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect(connectProxy.tunnels).toEqual([mockTarget()]);
    expect(mock.requests).toHaveLength(1);
  });

  it('tunnels a provider’s calls through a SOCKS5 proxy with credentials', async () => {
    host = await startHost({ providers: [provider('viasocks', 'gpt-4.1', { proxyUrl: socks.url })] });
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect((await chat('gpt-4.1')).status).toBe(200);
    // The tunnel is pooled: kept alive for the next call.
    expect(socks.tunnels).toEqual([mockTarget()]);
  });

  it('the most specific proxyUrl wins: key over provider over top level, and direct means none', async () => {
    host = await startHost({
      proxyUrl: connectProxy.url,
      providers: [
        provider('inherits', 'gpt-4.1'),
        provider('bypasses', 'gpt-4.1-mini', { proxyUrl: 'direct' }),
        { ...provider('perkey', 'claude-sonnet-4-6'), type: 'openai', apiKeys: [{ key: 'sk-perkey', proxyUrl: socks.url }] },
      ],
    });
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect(connectProxy.tunnels).toHaveLength(1);
    expect((await chat('gpt-4.1-mini')).status).toBe(200);
    expect(connectProxy.tunnels).toHaveLength(1);
    expect(socks.tunnels).toHaveLength(0);
    expect((await chat('claude-sonnet-4-6')).status).toBe(200);
    expect(socks.tunnels).toHaveLength(1);
    expect(connectProxy.tunnels).toHaveLength(1);
    expect(mock.requests.map((r) => r.apiKey)).toEqual(['sk-inherits', 'sk-bypasses', 'sk-perkey']);
  });

  it('a refused proxy password fails over without showing it anywhere', async () => {
    const logs: LogLines = [];
    const wrong = connectProxy.url.replace('proxy-secret-pw', 'wrong-secret-pw');
    host = await startHost(
      {
        managementKey: MGMT,
        retry: { requestRetry: 0 },
        providers: [provider('badproxy', 'gpt-4.1', { proxyUrl: wrong }), provider('good', 'gpt-4.1')],
        routing: { strategy: 'fill-first' },
      },
      { logs },
    );
    const res = await chat('gpt-4.1');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-credential')).toBe('good#0');
    expect(connectProxy.refused).toBeGreaterThan(0);
    const view = await (await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } })).text();
    expect(view).toContain('badproxy#0');
    expect(view).toMatch(/Proxy response \(407\)/);
    for (const text of [view, res.text, JSON.stringify(logs)]) expect(text).not.toContain('wrong-secret-pw');
  });
});
