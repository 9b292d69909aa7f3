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
  for (const proxy of [connectProxy, socks]) {
    proxy.tunnels.length = 0;
    proxy.credentials.length = 0;
    proxy.refused = 0;
  }
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
    expect(connectProxy.credentials).toEqual(['proxyuser:proxy-secret-pw']);
    expect(socks.tunnels).toEqual([]);
    expect(mock.requests).toHaveLength(1);
  });

  it('tunnels a provider’s calls through a SOCKS5 proxy with credentials', async () => {
    host = await startHost({ providers: [provider('viasocks', 'gpt-4.1', { proxyUrl: socks.url })] });
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect((await chat('gpt-4.1')).status).toBe(200);
    // The tunnel is pooled: kept alive for the next call.
    expect(socks.tunnels).toEqual([mockTarget()]);
    expect(socks.credentials).toEqual(['socksuser:socks-secret-pw']);
    expect(connectProxy.tunnels).toEqual([]);
    expect(mock.requests).toHaveLength(2);
  });

  it('goes direct when nothing names a proxy', async () => {
    host = await startHost({ providers: [provider('plain', 'gpt-4.1')] });
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect(mock.requests.map((r) => r.apiKey)).toEqual(['sk-plain']);
    expect(connectProxy.tunnels).toEqual([]);
    expect(socks.tunnels).toEqual([]);
  });

  it('a top-level SOCKS5 proxy carries providers without their own; direct and a provider’s own proxy bypass it', async () => {
    host = await startHost({
      proxyUrl: socks.url,
      providers: [
        provider('inherits', 'gpt-4.1'),
        provider('bypasses', 'gpt-4.1-mini', { proxyUrl: 'direct' }),
        provider('ownproxy', 'claude-sonnet-4-6', { proxyUrl: connectProxy.url }),
      ],
    });
    expect((await chat('gpt-4.1')).status).toBe(200);
    expect(socks.tunnels).toEqual([mockTarget()]);
    expect((await chat('gpt-4.1-mini')).status).toBe(200);
    expect((await chat('claude-sonnet-4-6')).status).toBe(200);
    expect(socks.tunnels).toEqual([mockTarget()]);
    expect(connectProxy.tunnels).toEqual([mockTarget()]);
    expect(mock.requests.map((r) => r.apiKey)).toEqual(['sk-inherits', 'sk-bypasses', 'sk-ownproxy']);
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

  it.each([
    ['an HTTP CONNECT', () => connectProxy, 'proxy-secret-pw', /Proxy response \(407\)/],
    ['a SOCKS5', () => socks, 'socks-secret-pw', /UND_ERR_SOCKS5_AUTH_FAILED: the SOCKS5 proxy refused the username and password/],
  ])('a wrong password at %s proxy fails the attempt with a 502 that does not show it', async (_kind, proxyOf, rightPassword, reason) => {
    const proxy = proxyOf();
    const wrong = proxy.url.replace(rightPassword, 'wrong-secret-pw');
    const logs: LogLines = [];
    host = await startHost(
      { managementKey: MGMT, retry: { requestRetry: 0 }, providers: [provider('badproxy', 'gpt-4.1', { proxyUrl: wrong })] },
      { logs },
    );
    const res = await chat('gpt-4.1');
    expect(res.status).toBe(502);
    expect(proxy.refused).toBe(1);
    expect(proxy.credentials).toEqual([`${new URL(wrong).username}:wrong-secret-pw`]);
    expect(mock.requests).toHaveLength(0);
    const view = await (await fetch(`${host.url}/v0/management/credentials`, { headers: { authorization: `Bearer ${MGMT}` } })).text();
    const credential = (JSON.parse(view) as { id: string; models: Record<string, { reason?: string }> }[]).find((c) => c.id === 'badproxy#0');
    const shown = `through proxy ${new URL(wrong).protocol}//${new URL(wrong).username}:***@${new URL(wrong).host}`;
    // The answer and the credential's cooldown reason say what failed and name the proxy, its password masked.
    for (const text of [credential?.models['gpt-4.1']?.reason, JSON.parse(res.text).error.message as string]) {
      expect(text).toMatch(reason);
      expect(text).toContain(shown);
    }
    for (const text of [view, res.text, JSON.stringify(logs)]) {
      expect(text).not.toContain('wrong-secret-pw');
      expect(text).not.toContain(Buffer.from(`${new URL(wrong).username}:wrong-secret-pw`).toString('base64'));
    }
  });
});
