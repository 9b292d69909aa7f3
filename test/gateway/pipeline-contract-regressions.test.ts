/**
 * Regression tests for four pipeline bugs, held to CONTRACT sections 3 and 5 (a sibling of
 * pipeline-regressions.test.ts, covering the variants that file does not):
 *
 * 1. router plugins got an empty `query` (contract: the URL query minus the client key `key`);
 * 2. token counts (`/v1/messages/count_tokens`, Gemini `:countTokens`) skipped routers, request
 *    interceptors of both phases and fail-closed guards (contract: they take the same path as the
 *    request they count);
 * 3. nested `ctx.host.executeModel` calls ignored their caller's cancellation and wrote no access
 *    line (contract: own request id and access line naming the parent, aborted with the caller);
 * 4. the runtime was read twice per request (authentication, then the handler after the body), so
 *    a reload landing in between mixed two configs.
 */
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type LogLines, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { pluginsDir, until } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

/** POSTs JSON with the client key as a bearer token; returns status, headers and the parsed body. */
async function post(host: TestHost, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

const anthropicCount = (content: string, model = 'claude-sonnet-4-6') => ({ model, messages: [{ role: 'user', content }] });
const geminiBody = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

describe('bug 1: router plugins get the URL query, without the client key', () => {
  let host: TestHost;
  const logs: LogLines = [];
  beforeAll(async () => {
    host = await startHost({ providers: mockProviders(mock), plugins: { dir: await pluginsDir(['router-query-probe']) } }, { logs });
  });
  afterAll(() => host?.close());

  /** The queries the probe router logged for `sourceFormat`, in order. */
  const seen = (sourceFormat: string) => logs.filter((l) => l.msg === 'router saw query' && l.sourceFormat === sourceFormat).map((l) => l.query);

  it('OpenAI chat: ?route=x&key=<client key> reaches the router as {route: "x"} and routes', async () => {
    // The key travels only in the query: it authenticates, and must not reach the router.
    const res = await fetch(`${host.url}/v1/chat/completions?route=x&key=${CLIENT_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'probe-query', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.arrayBuffer();
    await until(() => seen('openai').length > 0, 2000, 'the router to log the query it got');
    expect(seen('openai')).toEqual([{ route: 'x' }]);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-router')).toBe('router-query-probe');
    expect(mock.requests.map((r) => r.model)).toEqual(['gpt-4.1-mini']);
  });

  it('Gemini :generateContent?route=x&key=<client key> reaches the router as {route: "x"} and routes', async () => {
    const res = await fetch(`${host.url}/v1beta/models/probe-query:generateContent?route=x&key=${CLIENT_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(geminiBody('hi')),
    });
    await res.arrayBuffer();
    await until(() => seen('gemini').length > 0, 2000, 'the router to log the query it got');
    expect(seen('gemini')).toEqual([{ route: 'x' }]);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-router')).toBe('router-query-probe');
    expect(mock.requests.map((r) => r.model)).toEqual(['gemini-2.5-pro']);
  });
});

describe('bug 2: token counts take routers, request interceptors of both phases and fail-closed guards', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startHost({
      providers: mockProviders(mock),
      plugins: {
        dir: await pluginsDir(['router-count-alias', 'interceptor-reject-451', 'interceptor-after-reject', 'interceptor-fail-closed']),
        items: { 'interceptor-fail-closed': { failClosed: true } },
      },
    });
  });
  afterAll(() => host?.close());

  it('a router decides the model of a count: alias-x counts on the routed provider instead of 404', async () => {
    const anthropic = await post(host, '/v1/messages/count_tokens', anthropicCount('count me', 'alias-x'), ANTHROPIC);
    expect(anthropic.status).toBe(200);
    expect(anthropic.headers.get('x-switchyard-router')).toBe('router-count-alias');
    expect(anthropic.json.input_tokens).toBeGreaterThan(0);
    const gemini = await post(host, '/v1beta/models/alias-x:countTokens', geminiBody('count me'));
    expect(gemini.status).toBe(200);
    expect(gemini.headers.get('x-switchyard-router')).toBe('router-count-alias');
    expect(gemini.json.totalTokens).toBeGreaterThan(0);
    // Both counted upstream, on the routed models.
    expect(mock.requests.map((r) => `${r.format}:${r.model}`)).toEqual(['anthropic:claude-sonnet-4-6', 'gemini:gemini-2.5-pro']);
    expect(mock.requests.map((r) => r.path)).toEqual([expect.stringMatching(/count_tokens$/), expect.stringMatching(/:countTokens$/)]);
  });

  it('a beforeAuth interceptor reject (451) answers a count as it answers the request it counts', async () => {
    // Control: the message itself is rejected.
    const message = await post(host, '/v1/messages', { ...anthropicCount('marker-451'), max_tokens: 16 }, ANTHROPIC);
    expect(message.status).toBe(451);
    const anthropic = await post(host, '/v1/messages/count_tokens', anthropicCount('marker-451'), ANTHROPIC);
    expect(anthropic.status).toBe(451);
    expect(anthropic.headers.get('x-policy')).toBe('legal');
    expect(anthropic.text).toContain('unavailable for legal reasons');
    const gemini = await post(host, '/v1beta/models/gemini-2.5-pro:countTokens', geminiBody('marker-451'));
    expect(gemini.status).toBe(451);
    expect(gemini.headers.get('x-policy')).toBe('legal');
    expect(mock.requests).toHaveLength(0);
  });

  it('an afterAuth interceptor sees a count with its provider and credential, and its reject answers it', async () => {
    // Control: the message itself is rejected after authentication.
    const message = await post(host, '/v1/messages', { ...anthropicCount('marker-after'), max_tokens: 16 }, ANTHROPIC);
    expect(message.status).toBe(418);
    const anthropic = await post(host, '/v1/messages/count_tokens', anthropicCount('marker-after'), ANTHROPIC);
    expect(anthropic.status).toBe(418);
    expect(anthropic.headers.get('x-after-auth-reject')).toBe('anthropic:anthropic#0');
    const gemini = await post(host, '/v1beta/models/gemini-2.5-pro:countTokens', geminiBody('marker-after'));
    expect(gemini.status).toBe(418);
    expect(gemini.headers.get('x-after-auth-reject')).toBe('gemini:gemini#0');
    expect(mock.requests).toHaveLength(0);
  });

  it('a throwing failClosed interceptor makes a count answer 503', async () => {
    // Control: the message itself is refused.
    const message = await post(host, '/v1/messages', { ...anthropicCount('guard-test'), max_tokens: 16 }, ANTHROPIC);
    expect(message.status).toBe(503);
    const anthropic = await post(host, '/v1/messages/count_tokens', anthropicCount('guard-test'), ANTHROPIC);
    expect(anthropic.status).toBe(503);
    const gemini = await post(host, '/v1beta/models/gemini-2.5-pro:countTokens', geminiBody('guard-test'));
    expect(gemini.status).toBe(503);
    expect(mock.requests).toHaveLength(0);
  });

  it('(control) a count no plugin objects to is answered by the upstream', async () => {
    const anthropic = await post(host, '/v1/messages/count_tokens', anthropicCount('plain words'), ANTHROPIC);
    expect(anthropic.status).toBe(200);
    const gemini = await post(host, '/v1beta/models/gemini-2.5-pro:countTokens', geminiBody('plain words'));
    expect(gemini.status).toBe(200);
    expect(mock.requests).toHaveLength(2);
  });

  describe('while a fail-closed plugin is down (failed to start)', () => {
    let guarded: TestHost;
    beforeAll(async () => {
      guarded = await startHost({
        providers: mockProviders(mock),
        plugins: { dir: await pluginsDir(['setup-throws']), items: { 'setup-throws': { failClosed: true } } },
      });
    });
    afterAll(() => guarded?.close());

    it('counts are refused with 503 naming the plugin, like the requests they count', async () => {
      // Control: the request a count counts is refused.
      const message = await post(guarded, '/v1/messages', { ...anthropicCount('hi'), max_tokens: 16 }, ANTHROPIC);
      expect(message.status).toBe(503);
      const anthropic = await post(guarded, '/v1/messages/count_tokens', anthropicCount('hi'), ANTHROPIC);
      expect(anthropic.status).toBe(503);
      expect(anthropic.text).toContain('setup-throws');
      const gemini = await post(guarded, '/v1beta/models/gemini-2.5-pro:countTokens', geminiBody('hi'));
      expect(gemini.status).toBe(503);
      expect(gemini.text).toContain('setup-throws');
      expect(mock.requests).toHaveLength(0);
    });
  });
});

describe('bug 3: nested host.executeModel calls follow their caller', () => {
  let host: TestHost;
  const logs: LogLines = [];
  beforeAll(async () => {
    host = await startHost({ providers: mockProviders(mock), plugins: { dir: await pluginsDir(['nested-stream-caller']) } }, { logs });
  });
  afterAll(() => host?.close());

  const chatBody = JSON.stringify({ model: 'nested-stream-outer', messages: [{ role: 'user', content: 'outer' }] });

  it('each nested call writes its own access line, with its own request id and parentRequestId', async () => {
    const res = await post(host, '/v1/chat/completions', JSON.parse(chatBody));
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toMatch(/^inner 200: /);
    const parent = res.headers.get('x-switchyard-request-id')!;
    expect(parent).toBeTruthy();
    await until(() => logs.some((l) => l.msg === 'request' && l.requestId === parent), 2000, "the parent's access line");
    const nested = logs.filter((l) => l.msg === 'request' && l.parentRequestId === parent);
    expect(nested).toHaveLength(1);
    expect(nested[0]).toMatchObject({ model: 'gpt-4.1-mini', provider: 'openai', status: 200, stream: true });
    expect(nested[0]!.requestId).toEqual(expect.any(String));
    expect(nested[0]!.requestId).not.toBe(parent);
  });

  it('a nested stream call is aborted upstream when the outer client disconnects', async () => {
    // The nested call's upstream holds its headers back for 4 s; the client leaves long before.
    mock.fault({ model: 'gpt-4.1-mini', kind: 'slow', delayMs: 4000 });
    const raw = httpRequest(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    });
    raw.on('error', () => undefined);
    raw.end(chatBody);
    await mock.waitFor((r) => r.some((q) => q.model === 'gpt-4.1-mini'), 2000);
    raw.destroy();
    const started = Date.now();
    await mock.waitFor((r) => r.find((q) => q.model === 'gpt-4.1-mini')!.aborted, 1500);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('bug 4: one runtime per request, even when a reload lands between authentication and handling', () => {
  const K1 = 'sk-client-k1';
  const K2 = 'sk-client-k2';
  const MGMT = 'mgmt-reload-regression';
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  /** POSTs `body` with `key`, sending headers and `head` bytes, then `between()`, then the rest. */
  function slowPost(url: string, key: string, body: string, head: number, between: () => Promise<void>) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.flushHeaders();
      req.write(body.slice(0, head));
      // Give the server time to read the headers (authentication runs then) before the reload.
      setTimeout(() => {
        between().then(
          () => req.end(body.slice(head)),
          (err: unknown) => {
            req.destroy();
            reject(err);
          },
        );
      }, 150);
    });
  }

  it('a request authenticated with K1 under config A is served by config A (provider p1), not by config B', async () => {
    const configA = {
      apiKeys: [K1],
      managementKey: MGMT,
      providers: [{ name: 'p1', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-up-p1'], models: ['m'] }],
    };
    const configB = {
      apiKeys: [K2],
      managementKey: MGMT,
      providers: [{ name: 'p2', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-up-p2'], models: ['m'] }],
    };
    host = await startHost(configA, { watch: false });
    const h = host;
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

    const answer = await slowPost(`${h.url}/v1/chat/completions`, K1, body, 12, async () => {
      await h.writeConfig(configB);
      const reload = await fetch(`${h.url}/v0/management/reload`, { method: 'POST', headers: { authorization: `Bearer ${MGMT}` } });
      await reload.arrayBuffer();
      if (reload.status !== 200) throw new Error(`reload answered ${reload.status}`);
    });
    expect({ status: answer.status, provider: answer.headers['x-switchyard-provider'] }).toEqual({ status: 200, provider: 'p1' });
    expect(mock.requests.map((r) => r.apiKey)).toEqual(['sk-up-p1']);

    // Control: the reload did apply; new requests see config B only.
    const k1After = await post(h, '/v1/chat/completions', JSON.parse(body), { authorization: `Bearer ${K1}` });
    expect(k1After.status).toBe(401);
    const k2After = await post(h, '/v1/chat/completions', JSON.parse(body), { authorization: `Bearer ${K2}` });
    expect(k2After.status).toBe(200);
    expect(k2After.headers.get('x-switchyard-provider')).toBe('p2');
  });
});
