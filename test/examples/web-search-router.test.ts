/**
 * The web-search-router example plugin (examples/web-search-router) in a real host: a copy of
 * the example is the whole plugins dir, the mock upstream is the model, and a tiny local search
 * server stands in for Tavily. A request carrying a web-search tool, in any client format, is
 * answered by the plugin through two nested model calls around one search; a request without
 * one is routed as usual.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { anthropicClient, openaiClient } from '../helpers/clients.js';
import { CLIENT_KEY, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { systemOf, turnsOf } from '../helpers/upstream-view.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/web-search-router/', import.meta.url));
const KEY_ENV = 'SWITCHYARD_TEST_SEARCH_KEY';
const SEARCH_KEY = 'tvly-test-0123456789';
const MGMT = 'mgmt-web-search';

const RESULTS = [
  { title: 'Paris - Wikipedia', url: 'https://en.wikipedia.org/wiki/Paris', content: 'Paris is the capital and largest city of France.', score: 0.98 },
  { title: 'France facts', url: 'https://example.org/france', content: 'The French capital has been Paris since 987.', score: 0.91 },
];

interface SearchCall {
  authorization: string | undefined;
  body: { query?: string; max_results?: number };
}

/** A Tavily-style search API on a loopback port that records each call. */
class SearchServer {
  calls: SearchCall[] = [];
  /** When set, every call answers this status with an error body. */
  failWith: number | undefined;
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void readBody(req).then((text) => {
        this.calls.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
        res.setHeader('content-type', 'application/json');
        if (req.method !== 'POST' || req.url !== '/search') {
          res.statusCode = 404;
          return res.end('{"detail":"not found"}');
        }
        if (this.failWith !== undefined) {
          res.statusCode = this.failWith;
          return res.end('{"detail":"search quota exhausted"}');
        }
        res.end(JSON.stringify({ query: JSON.parse(text).query, results: RESULTS, response_time: 0.1 }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/search`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const QUESTION = 'What is the capital of France?';

let mock: MockUpstream;
let host: TestHost;
let pluginsDir: string;
const searchServer = new SearchServer();

beforeAll(async () => {
  // The host hands a plugin worker only the variables its item names in `env`.
  process.env[KEY_ENV] = SEARCH_KEY;
  await searchServer.start();
  mock = await startMockUpstream();
  pluginsDir = await mkdtemp(join(tmpdir(), 'switchyard-example-'));
  await cp(EXAMPLE, join(pluginsDir, 'web-search-router'), { recursive: true, filter: (src) => !src.includes('node_modules') });
  host = await startHost({
    managementKey: MGMT,
    providers: mockProviders(mock),
    // One attempt and no cooldown, so the failing-search case is answered at once and leaves no trace.
    retry: { requestRetry: 0 },
    cooldown: { transientSeconds: 0 },
    plugins: {
      dir: pluginsDir,
      items: {
        'web-search-router': { env: [KEY_ENV], config: { searchUrl: searchServer.url, apiKeyEnv: KEY_ENV, maxResults: 3 } },
      },
    },
  });
});

afterAll(async () => {
  await host?.close();
  await mock?.close();
  await searchServer.close();
  if (pluginsDir) await rm(pluginsDir, { recursive: true, force: true });
  delete process.env[KEY_ENV];
});

beforeEach(() => {
  mock.reset();
  searchServer.calls = [];
  searchServer.failWith = undefined;
});

/** The two nested model calls the plugin makes: query generation, then the answer with the results. */
function expectQueryThenAnswer(format: 'openai' | 'anthropic' | 'gemini', model: string): void {
  expect(mock.requests.map((r) => [r.format, r.model])).toEqual([
    [format, model],
    [format, model],
  ]);
  const [queryCall, answerCall] = mock.requests;
  expect(systemOf(queryCall!)).toMatch(/search query/i);
  expect(turnsOf(queryCall!)).toEqual([{ role: 'user', text: QUESTION }]);
  // The nested calls carry no tools: the search already happened.
  expect(queryCall!.body.tools).toBeUndefined();
  expect(answerCall!.body.tools).toBeUndefined();
  const system = systemOf(answerCall!)!;
  for (const r of RESULTS) {
    expect(system).toContain(r.url);
    expect(system).toContain(r.content);
  }
  expect(turnsOf(answerCall!).at(-1)).toEqual({ role: 'user', text: QUESTION });
}

/** The search server got one call: the model's query (the mock echoes the question) and the key from the env. */
function expectOneSearch(format: string, model: string): void {
  expect(searchServer.calls).toHaveLength(1);
  expect(searchServer.calls[0]).toEqual({
    authorization: `Bearer ${SEARCH_KEY}`,
    body: { query: `[${format}:${model}] ${QUESTION}`, max_results: 3 },
  });
}

describe('web-search-router example', () => {
  it('loads active with a router and an executor', async () => {
    const res = await fetch(`${host.url}/v0/management/plugins`, { headers: { authorization: `Bearer ${MGMT}` } });
    const list = (await res.json()) as Record<string, unknown>[];
    expect(list).toEqual([
      expect.objectContaining({ id: 'web-search-router', state: 'active', capabilities: ['modelRouter', 'executor'] }),
    ]);
  });

  it('answers an OpenAI client that sends a web_search function tool', async () => {
    const { data, response } = await openaiClient(host.url)
      .chat.completions.create({
        model: 'gpt-4.1',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: QUESTION },
        ],
        tools: [{ type: 'function', function: { name: 'web_search', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }],
      })
      .withResponse();
    expect(response.headers.get('x-switchyard-router')).toBe('web-search-router');
    expect(response.headers.get('x-switchyard-provider')).toBe('web-search');
    expect(response.headers.get('x-switchyard-model')).toBe('gpt-4.1');
    const text = data.choices[0]!.message.content!;
    // The mock echoes the last user turn; the plugin lists the sources after the answer.
    expect(text).toContain(`[openai:gpt-4.1] ${QUESTION}`);
    expect(text).toContain(`[1] ${RESULTS[0]!.title}: ${RESULTS[0]!.url}`);
    expect(text).toContain(`[2] ${RESULTS[1]!.title}: ${RESULTS[1]!.url}`);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.total_tokens).toBeGreaterThan(0);

    expectQueryThenAnswer('openai', 'gpt-4.1');
    // The client's system prompt comes first in the answer's system prompt.
    expect(systemOf(mock.requests[1]!)!.startsWith('You are terse.')).toBe(true);
    expectOneSearch('openai', 'gpt-4.1');
  });

  it('answers an Anthropic client that sends the web_search server tool, in Anthropic format', async () => {
    const { data, response } = await anthropicClient(host.url)
      .messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 512,
        messages: [{ role: 'user', content: QUESTION }],
        tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
      })
      .withResponse();
    expect(response.headers.get('x-switchyard-router')).toBe('web-search-router');
    expect(data.type).toBe('message');
    expect(data.stop_reason).toBe('end_turn');
    const text = data.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toContain(`[anthropic:claude-sonnet-4-6] ${QUESTION}`);
    expect(text).toContain(RESULTS[0]!.url);

    // The plugin speaks OpenAI; the host translated its nested calls for the Anthropic upstream.
    expectQueryThenAnswer('anthropic', 'claude-sonnet-4-6');
    // The client's max_tokens reaches the answer call.
    expect(mock.requests[1]!.body.max_tokens).toBe(512);
    expectOneSearch('anthropic', 'claude-sonnet-4-6');
  });

  it('streams its answer to an OpenAI client using a web_search_preview tool type', async () => {
    const stream = await openaiClient(host.url).chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: QUESTION }],
      // Not a Chat Completions tool type, but what Responses-style clients send; the router only looks.
      tools: [{ type: 'web_search_preview' } as never],
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
    }
    expect(text).toContain(`[openai:gpt-4.1] ${QUESTION}`);
    expect(text).toContain(RESULTS[1]!.url);
    expect(finish).toBe('stop');
    expectQueryThenAnswer('openai', 'gpt-4.1');
    expectOneSearch('openai', 'gpt-4.1');
  });

  it('answers a Gemini client grounding with googleSearch', async () => {
    const res = await fetch(`${host.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: QUESTION }] }], tools: [{ googleSearch: {} }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-router')).toBe('web-search-router');
    const body = (await res.json()) as { candidates: { content: { parts: { text?: string }[] } }[] };
    expect(body.candidates[0]!.content.parts.map((p) => p.text ?? '').join('')).toContain(RESULTS[0]!.url);
    expectQueryThenAnswer('gemini', 'gemini-2.5-pro');
    expectOneSearch('gemini', 'gemini-2.5-pro');
  });

  it('leaves requests without a web-search tool to the normal path', async () => {
    const client = openaiClient(host.url);
    const plain = await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: QUESTION }] }).withResponse();
    expect(plain.response.headers.get('x-switchyard-router')).toBeNull();
    expect(plain.response.headers.get('x-switchyard-provider')).toBe('openai');
    expect(plain.data.choices[0]!.message.content).toBe(`[openai:gpt-4.1] ${QUESTION}`);

    // Another tool is not a web-search tool: the mock calls it, as an upstream would.
    const other = await client.chat.completions
      .create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: QUESTION }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
      })
      .withResponse();
    expect(other.response.headers.get('x-switchyard-router')).toBeNull();
    expect(other.data.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });

    expect(mock.requests).toHaveLength(2);
    expect(mock.requests.every((r) => r.body.tools === undefined || r.body.tools[0].function.name === 'get_weather')).toBe(true);
    expect(searchServer.calls).toHaveLength(0);
  });

  it('serves its own model web-search only with config.model set: 400 otherwise, no call made', async () => {
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'web-search', messages: [{ role: 'user', content: QUESTION }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('needs config.model');
    expect(mock.requests).toHaveLength(0);
    expect(searchServer.calls).toHaveLength(0);
  });

  it('answers 502 naming the search backend when the search fails', async () => {
    searchServer.failWith = 500;
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: QUESTION }], tools: [{ type: 'web_search' }] }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('search backend answered 500');
    // The query was written; no answer call was made.
    expect(mock.requests).toHaveLength(1);
    expect(searchServer.calls).toHaveLength(1);
  });
});
