/**
 * The bugs the staged pipeline fixed, each held by a test that failed before: routers saw an
 * empty query; token counts skipped routers, interceptors and fail-closed guards; nested
 * `host.executeModel` calls ignored their caller's cancellation and wrote no access line; a
 * reload could land between a request's authentication and its handling.
 */
import { request as httpRequest } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CLIENT_KEY, type LogLines, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { pluginsDir, until } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

function post(host: TestHost, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe('with router and interceptor plugins', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startHost({
      providers: mockProviders(mock),
      plugins: {
        dir: await pluginsDir(['router-query', 'interceptor-reject', 'interceptor-fail-closed']),
        items: { 'interceptor-fail-closed': { failClosed: true } },
      },
    });
  });
  afterAll(() => host?.close());

  it('routers get the URL query, without the client key', async () => {
    const routed = await fetch(`${host.url}/v1/chat/completions?route=x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'query-routed', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(routed.status).toBe(200);
    expect(routed.headers.get('x-switchyard-router')).toBe('router-query');
    // The key in the query authenticates; the router never sees it, so it still routes.
    const keyed = await fetch(`${host.url}/v1/chat/completions?route=x&key=${CLIENT_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'query-routed', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(keyed.headers.get('x-switchyard-router')).toBe('router-query');
  });

  it('count_tokens takes the routers', async () => {
    const res = await post(host, '/v1/messages/count_tokens', { model: 'alias-x', messages: [{ role: 'user', content: 'count me' }] }, { 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(res.headers.get('x-switchyard-router')).toBe('router-query');
    expect(mock.requests.at(-1)!.path).toMatch(/count_tokens$/);
  });

  it('count_tokens and :countTokens take the request interceptors: a reject answers for them too', async () => {
    const anthropic = await post(host, '/v1/messages/count_tokens', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'forbidden-word' }] }, { 'anthropic-version': '2023-06-01' });
    expect(anthropic.status).toBe(403);
    expect(anthropic.headers.get('x-policy')).toBe('blocked');
    const gemini = await post(host, '/v1beta/models/gemini-2.5-pro:countTokens', { contents: [{ role: 'user', parts: [{ text: 'forbidden-word' }] }] });
    expect(gemini.status).toBe(403);
    expect(mock.requests).toHaveLength(0);
  });

  it('count_tokens is gated by a fail-closed guard', async () => {
    const res = await post(host, '/v1/messages/count_tokens', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'guard-test' }] }, { 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(503);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('nested host.executeModel calls', () => {
  let host: TestHost;
  const logs: LogLines = [];
  beforeAll(async () => {
    host = await startHost({ providers: mockProviders(mock), plugins: { dir: await pluginsDir(['nested-slow']) } }, { logs });
  });
  afterAll(() => host?.close());

  it('write their own access line naming the parent request', async () => {
    const res = await post(host, '/v1/chat/completions', { model: 'nested-slow-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    const parent = res.headers.get('x-switchyard-request-id')!;
    await until(() => logs.some((l) => l.msg === 'request' && l.requestId === parent), 2000, 'the parent access line');
    const nested = logs.find((l) => l.msg === 'request' && l.parentRequestId === parent);
    expect(nested).toMatchObject({ endpoint: 'host.executeModel', model: 'gpt-4.1-mini', provider: 'openai', status: 200 });
    expect(nested!.requestId).not.toBe(parent);
  });

  it('are aborted when their caller’s client goes away', async () => {
    mock.fault({ model: 'gpt-4.1-mini', kind: 'slow', delayMs: 5000 });
    const raw = httpRequest(`${host.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` } });
    raw.on('error', () => undefined);
    raw.end(JSON.stringify({ model: 'nested-slow-model', messages: [{ role: 'user', content: 'hi' }] }));
    await mock.waitFor((r) => r.some((q) => q.model === 'gpt-4.1-mini'));
    // The client leaves while the nested call waits on its upstream: that call must end too.
    raw.destroy();
    await mock.waitFor((r) => r.find((q) => q.model === 'gpt-4.1-mini')!.aborted, 3000);
  });
});

describe('a reload between authentication and handling', () => {
  it('does not mix two configs: the request is served by the config it was authenticated against', async () => {
    const mgmt = 'mgmt-reload';
    const configA = {
      managementKey: mgmt,
      providers: [{ name: 'first', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-a'], models: ['m-reload'] }],
    };
    const host = await startHost(configA);
    try {
      const body = JSON.stringify({ model: 'm-reload', messages: [{ role: 'user', content: 'hi' }] });
      const answer = new Promise<{ status: number; provider: string | undefined }>((resolve, reject) => {
        const req = httpRequest(`${host.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${CLIENT_KEY}` },
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode!, provider: res.headers['x-switchyard-provider'] as string | undefined });
        });
        req.on('error', reject);
        // Headers and half the body now: authentication runs; the handler waits for the rest.
        req.write(body.slice(0, 10));
        setTimeout(async () => {
          // Config B: another client key only, the model on another provider.
          await writeFile(
            host.configFile,
            stringify({ port: 0, apiKeys: ['sk-other-client'], managementKey: mgmt, providers: [{ name: 'second', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-b'], models: ['m-reload'] }] }),
          );
          const reload = await fetch(`${host.url}/v0/management/reload`, { method: 'POST', headers: { authorization: `Bearer ${mgmt}` } });
          expect(reload.status).toBe(200);
          req.end(body.slice(10));
        }, 100);
      });
      const { status, provider } = await answer;
      expect(status).toBe(200);
      expect(provider).toBe('first');
      expect(mock.requests.at(-1)!.apiKey).toBe('sk-a');
    } finally {
      await host.close();
    }
  });
});
