/**
 * The upstream connection pools, against a real target server and real proxies on loopback (an
 * HTTP CONNECT proxy and a SOCKS5 proxy from test/helpers/proxies.ts): one shared dispatcher per
 * proxy URL, the plain Agent for none, the same timeouts and keep-alive through every one, and
 * proxy passwords kept out of every error.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestProxy, startBlackHole, startConnectProxy, startSocks5Proxy } from '../../../test/helpers/proxies.js';
import { FORMATS } from '../formats/index.js';
import { type ClientLimits, Dispatchers } from './dispatchers.js';
import { UpstreamError } from './errors.js';
import { HttpUpstream } from './http.js';
import { displayProxyUrl, proxySecrets } from './proxy-url.js';
import { connectRequest } from './socks5.js';

const LIMITS: ClientLimits = { connectTimeout: 400, headersTimeout: 400, bodyTimeout: 400 };

let target: Server;
let targetPort: number;
const targetSockets = new Set<Socket>();
/** Connections the target accepted: proxied ones come from the proxy, direct ones from us. */
let targetConnections = 0;
let connectProxy: TestProxy;
let socks: TestProxy;
let pools: Dispatchers;

beforeAll(async () => {
  target = createServer((req, res) => {
    if (req.url === '/hang-headers') return; // never answers
    if (req.url === '/hang-body') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk');
      return; // never ends
    }
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'm-1' }, { id: 'm-2' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.url}`);
  });
  target.on('connection', (socket) => {
    targetConnections++;
    targetSockets.add(socket);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as AddressInfo).port;
  connectProxy = await startConnectProxy();
  socks = await startSocks5Proxy();
});

afterEach(async () => {
  await pools?.close();
  connectProxy.tunnels.length = 0;
  connectProxy.credentials.length = 0;
  connectProxy.refused = 0;
  socks.tunnels.length = 0;
  socks.credentials.length = 0;
  socks.refused = 0;
  targetConnections = 0;
});

afterAll(async () => {
  for (const s of targetSockets) s.destroy();
  await new Promise<void>((resolve) => target.close(() => resolve()));
  await connectProxy.close();
  await socks.close();
});

const origin = (host = '127.0.0.1') => `http://${host}:${targetPort}`;

async function get(dispatcher: Dispatcher, path: string, host?: string): Promise<string> {
  const res = await dispatcher.request({ origin: origin(host), path, method: 'GET' });
  const text = await res.body.text();
  // undici frees the connection just after the body ends: a call made at once would open another.
  await new Promise((resolve) => setImmediate(resolve));
  return text;
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

const wrongPassword = (proxy: TestProxy) => proxy.url.replace(/:([^:@/]+)@/, ':wrong-proxy-pw@');

describe('Dispatchers.get', () => {
  it('shares one plain Agent for direct calls and one dispatcher per distinct proxy URL', () => {
    pools = new Dispatchers(LIMITS);
    const direct = pools.get();
    expect(direct).toBeInstanceOf(Agent);
    expect(direct).not.toBeInstanceOf(ProxyAgent);
    expect(pools.get(undefined)).toBe(direct);

    const viaConnect = pools.get(connectProxy.url);
    expect(viaConnect).toBeInstanceOf(ProxyAgent);
    expect(pools.get(connectProxy.url)).toBe(viaConnect);
    expect(pools.get('https://proxy.example:8443')).toBeInstanceOf(ProxyAgent);

    const viaSocks = pools.get(socks.url);
    expect(pools.get(socks.url)).toBe(viaSocks);
    expect(new Set([direct, viaConnect, viaSocks, pools.get(wrongPassword(socks))]).size).toBe(4);
  });

  it('goes direct without a proxy: neither proxy sees anything', async () => {
    pools = new Dispatchers(LIMITS);
    expect(await get(pools.get(), '/direct')).toBe('hello /direct');
    expect(targetConnections).toBe(1);
    expect(connectProxy.tunnels).toEqual([]);
    expect(socks.tunnels).toEqual([]);
  });

  it('tunnels through an HTTP proxy with CONNECT and Basic credentials, keeping the tunnel alive', async () => {
    pools = new Dispatchers(LIMITS);
    const dispatcher = pools.get(connectProxy.url);
    expect(await get(dispatcher, '/one')).toBe('hello /one');
    expect(await get(dispatcher, '/two')).toBe('hello /two');
    expect(connectProxy.tunnels).toEqual([`127.0.0.1:${targetPort}`]);
    expect(connectProxy.credentials).toEqual(['proxyuser:proxy-secret-pw']);
    expect(socks.tunnels).toEqual([]);
  });

  it('tunnels through a SOCKS5 proxy with username/password, by host name, keeping the tunnel alive', async () => {
    pools = new Dispatchers(LIMITS);
    const dispatcher = pools.get(socks.url);
    expect(await get(dispatcher, '/one', 'localhost')).toBe('hello /one');
    expect(await get(dispatcher, '/two', 'localhost')).toBe('hello /two');
    // The proxy got the name, not an address: it resolves it.
    expect(socks.tunnels).toEqual([`localhost:${targetPort}`]);
    expect(socks.credentials).toEqual(['socksuser:socks-secret-pw']);
    expect(await get(dispatcher, '/ip')).toBe('hello /ip');
    expect(socks.tunnels).toEqual([`localhost:${targetPort}`, `127.0.0.1:${targetPort}`]);
    expect(connectProxy.tunnels).toEqual([]);
  });

  it('refuses a wrong password at either proxy with an error that does not hold it', async () => {
    pools = new Dispatchers(LIMITS);
    const viaConnect = await failure(get(pools.get(wrongPassword(connectProxy)), '/x'));
    expect(viaConnect.message).toMatch(/Proxy response \(407\)/);
    const viaSocks = await failure(get(pools.get(wrongPassword(socks)), '/x'));
    expect(viaSocks.code).toBe('UND_ERR_SOCKS5_AUTH_FAILED');
    expect(viaSocks.message).toContain('refused the username and password of user "socksuser"');
    for (const err of [viaConnect, viaSocks]) expect(`${err.message} ${err.stack}`).not.toContain('wrong-proxy-pw');
    expect(connectProxy.credentials).toEqual(['proxyuser:wrong-proxy-pw']);
    expect(socks.credentials).toEqual(['socksuser:wrong-proxy-pw']);
    expect(connectProxy.tunnels).toEqual([]);
    expect(socks.tunnels).toEqual([]);
    expect(targetConnections).toBe(0);
  });

  it('applies the same headers and body timeouts through every dispatcher', async () => {
    pools = new Dispatchers(LIMITS);
    const started = Date.now();
    const codes = await Promise.all(
      [pools.get(), pools.get(connectProxy.url), pools.get(socks.url)].flatMap((dispatcher) =>
        ['/hang-headers', '/hang-body'].map(async (path) => (await failure(get(dispatcher, path))).code),
      ),
    );
    expect(codes).toEqual(Array(3).fill(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']).flat());
    // undici's default is 5 minutes: these are the limits given.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(connectProxy.tunnels).toHaveLength(2);
    expect(socks.tunnels).toHaveLength(2);
  });

  it('bounds opening a tunnel by connectTimeout when a proxy never answers', async () => {
    const hole = await startBlackHole();
    try {
      pools = new Dispatchers(LIMITS);
      // The HTTP proxy takes the connection but never answers CONNECT; the SOCKS5 one never answers the greeting.
      for (const [scheme, code] of [
        ['http', 'UND_ERR_HEADERS_TIMEOUT'],
        ['socks5', 'UND_ERR_CONNECT_TIMEOUT'],
      ] as const) {
        const started = Date.now();
        const err = await failure(get(pools.get(hole.url(scheme)), '/x'));
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(err.code).toBe(code);
        expect(`${err.message} ${err.stack}`).not.toContain('black-hole-pw');
      }
    } finally {
      await hole.close();
    }
  });

  it('close() closes every pool', async () => {
    pools = new Dispatchers(LIMITS);
    const all = [pools.get(), pools.get(connectProxy.url), pools.get(socks.url)];
    for (const d of all) await get(d, '/warm');
    await pools.close();
    for (const d of all) expect((await failure(get(d, '/after'))).code).toMatch(/^UND_ERR_(DESTROYED|CLOSED)$/);
    await pools.close();
  });
});

describe('HttpUpstream through the pools', () => {
  const upstream = (dispatcher: Dispatcher, proxyUrl?: string) =>
    new HttpUpstream(FORMATS.openai, dispatcher, { baseUrl: `${origin()}/v1`, auth: { apiKey: 'sk-upstream' }, headers: {}, proxyUrl });

  it('calls through the proxy its spec names', async () => {
    pools = new Dispatchers(LIMITS);
    for (const proxy of [connectProxy, socks]) {
      const models = await upstream(pools.get(proxy.url), proxy.url).listModels(AbortSignal.timeout(5_000));
      expect(models).toEqual(['m-1', 'm-2']);
      expect(proxy.tunnels).toEqual([`127.0.0.1:${targetPort}`]);
    }
    expect(await upstream(pools.get()).listModels(AbortSignal.timeout(5_000))).toEqual(['m-1', 'm-2']);
    expect(connectProxy.tunnels).toHaveLength(1);
    expect(socks.tunnels).toHaveLength(1);
  });

  it('fails a refused proxy login with an UpstreamError naming the proxy without its password', async () => {
    pools = new Dispatchers(LIMITS);
    for (const proxy of [connectProxy, socks]) {
      const proxyUrl = wrongPassword(proxy);
      const err = await failure(upstream(pools.get(proxyUrl), proxyUrl).listModels(AbortSignal.timeout(5_000)));
      expect(err).toBeInstanceOf(UpstreamError);
      expect((err as UpstreamError).kind).toBe('network');
      expect(err.message).toContain(`(through proxy ${displayProxyUrl(proxyUrl)})`);
      expect(err.message).toContain(':***@127.0.0.1:');
      expect(err.message).not.toContain('wrong-proxy-pw');
    }
  });
});

describe('proxy URLs', () => {
  it('show without the password, and list what to scrub', () => {
    expect(displayProxyUrl('socks5://me:s%40cret@127.0.0.1:1080')).toBe('socks5://me:***@127.0.0.1:1080');
    expect(displayProxyUrl('http://127.0.0.1:3128')).toBe('http://127.0.0.1:3128');
    expect(displayProxyUrl('http://token@proxy.example')).toBe('http://token@proxy.example');
    expect(proxySecrets(undefined)).toEqual([]);
    expect(proxySecrets('http://127.0.0.1:3128')).toEqual([]);
    const secrets = proxySecrets('http://me:s%40cret@127.0.0.1:3128');
    expect(secrets).toEqual(
      expect.arrayContaining(['http://me:s%40cret@127.0.0.1:3128', 's%40cret', 's@cret', Buffer.from('me:s@cret').toString('base64')]),
    );
  });

  it('SOCKS5 CONNECT names a host by name and an IP by its bytes', () => {
    expect([...connectRequest('api.example.com', 443)]).toEqual([5, 1, 0, 3, 15, ...Buffer.from('api.example.com'), 1, 187]);
    expect([...connectRequest('10.1.2.3', 80)]).toEqual([5, 1, 0, 1, 10, 1, 2, 3, 0, 80]);
    expect([...connectRequest('::1', 8080)]).toEqual([5, 1, 0, 4, ...Array(15).fill(0), 1, 0x1f, 0x90]);
    expect([...connectRequest('2001:db8::ffff:1.2.3.4', 1)].slice(4, 20)).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  });
});
