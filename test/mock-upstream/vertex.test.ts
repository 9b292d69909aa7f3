/**
 * Self-tests of the mock's Vertex AI routes over plain `fetch`: both publishers in JSON and
 * streamed, Vertex's rules for Claude bodies, bearer-only authentication, what is recorded, and
 * faults and `authorize` applying to Vertex requests like to any other.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, VERTEX_ANTHROPIC_VERSION, type MockUpstream } from './index.js';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

const TOKEN = 'ya29.mock-access-token';
const BEARER = { authorization: `Bearer ${TOKEN}` };
const PROJECT = 'vertex-proj';
const LOCATION = 'europe-west4';

/** The URL of `publisher`'s `model` under the mock's Vertex base URL. */
const modelUrl = (publisher: 'google' | 'anthropic', model: string, action: string, project = PROJECT, location = LOCATION) =>
  `${mock.vertexBaseUrl}/projects/${project}/locations/${location}/publishers/${publisher}/models/${model}:${action}`;

function post(url: string, body: unknown, headers: Record<string, string> = BEARER) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Splits an SSE body into events, checking each one is well framed. */
function sse(text: string, eol = '\n'): { event?: string; data: string }[] {
  expect(text.endsWith(eol + eol)).toBe(true);
  return text
    .split(eol + eol)
    .filter(Boolean)
    .map((block) => {
      const lines = block.split(eol);
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '';
      return event === undefined ? { data } : { event, data };
    });
}

it('serves under vertexBaseUrl', () => {
  expect(mock.vertexBaseUrl).toBe(`${mock.url}/vertex/v1`);
});

describe('publishers/google (Gemini wire format)', () => {
  const base = { systemInstruction: { parts: [{ text: 'be brief' }] }, contents: [{ role: 'user', parts: [{ text: 'hello there' }] }] };
  const TEXT = '[gemini:gemini-2.5-flash] hello there';

  it('generates content and records format, model, project, location and the bearer token', async () => {
    const res = await post(modelUrl('google', 'gemini-2.5-flash', 'generateContent'), base);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      candidates: [{ content: { parts: [{ text: TEXT }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 7, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }] },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'mock-1',
    });
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({
      format: 'gemini',
      path: `/vertex/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2.5-flash:generateContent`,
      apiKey: TOKEN,
      model: 'gemini-2.5-flash',
      project: PROJECT,
      location: LOCATION,
      stream: false,
      body: base,
      finished: true,
    });
  });

  it('streams SSE exactly as the Gemini route does with alt=sse, and a JSON array without it', async () => {
    const vertex = await post(`${modelUrl('google', 'gemini-2.5-flash', 'streamGenerateContent')}?alt=sse`, base);
    expect(vertex.headers.get('content-type')).toBe('text/event-stream');
    const vertexText = await vertex.text();
    const items = sse(vertexText, '\r\n').map((e) => JSON.parse(e.data));
    expect(items.map((i) => i.candidates[0].content.parts[0].text).join('')).toBe(TEXT);
    expect(items.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { totalTokenCount: 7 } });
    expect(mock.requests[0]).toMatchObject({ format: 'gemini', stream: true, query: { alt: 'sse' }, project: PROJECT, location: LOCATION });

    // Byte for byte what the Gemini API route streams for the same request (same sequence number).
    mock.reset();
    const direct = await fetch(`${mock.baseUrl('gemini')}/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      body: JSON.stringify(base),
    });
    expect(vertexText).toBe(await direct.text());

    const array = JSON.parse(await (await post(modelUrl('google', 'gemini-2.5-flash', 'streamGenerateContent'), base)).text());
    expect(array).toHaveLength(3);
  });

  it('counts tokens, and answers a bad request in Google’s error shape', async () => {
    expect(await (await post(modelUrl('google', 'gemini-2.5-pro', 'countTokens'), { contents: base.contents })).json()).toMatchObject({ totalTokens: 2 });
    const empty = await post(modelUrl('google', 'gemini-2.5-pro', 'generateContent'), { contents: [] });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    const unknown = await post(modelUrl('google', 'gemini-2.5-pro', 'rawPredict'), base);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });
});

describe('publishers/anthropic (Anthropic Messages wire format)', () => {
  const base = { anthropic_version: VERTEX_ANTHROPIC_VERSION, max_tokens: 100, system: 'be brief', messages: [{ role: 'user', content: 'hello there' }] };
  const TEXT = '[anthropic:claude-sonnet-4-6] hello there';

  it('answers rawPredict with a message for the model in the URL, recorded as anthropic', async () => {
    const res = await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict'), base);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: 'msg_mock_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: TEXT }],
      usage: { input_tokens: 4, output_tokens: 3 },
    });
    expect(mock.requests[0]).toMatchObject({
      format: 'anthropic',
      path: `/vertex/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/claude-sonnet-4-6:rawPredict`,
      apiKey: TOKEN,
      model: 'claude-sonnet-4-6',
      project: PROJECT,
      location: LOCATION,
      stream: false,
    });
  });

  it('streams the named Messages events on streamRawPredict with stream: true', async () => {
    const res = await post(modelUrl('anthropic', 'claude-haiku-4-5', 'streamRawPredict'), { ...base, stream: true });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sse(await res.text());
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data[0].message).toMatchObject({ id: 'msg_mock_1', model: 'claude-haiku-4-5' });
    expect(data.filter((d) => d.type === 'content_block_delta').map((d) => d.delta.text).join('')).toBe('[anthropic:claude-haiku-4-5] hello there');
    expect(mock.requests[0]).toMatchObject({ format: 'anthropic', model: 'claude-haiku-4-5', stream: true });
  });

  it('lets the body’s stream decide: streamRawPredict without it answers one message', async () => {
    const res = await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'streamRawPredict'), base);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect((await res.json()).content).toEqual([{ type: 'text', text: TEXT }]);
    expect(mock.requests[0]!.stream).toBe(false);
  });

  it('requires anthropic_version vertex-2023-10-16 and refuses a model in the body, in Anthropic’s error shape', async () => {
    const url = modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict');
    const { anthropic_version: _, ...noVersion } = base;
    const cases: [unknown, RegExp][] = [
      [noVersion, /^anthropic_version: Field required$/],
      [{ ...base, anthropic_version: '2023-06-01' }, /^anthropic_version: Input should be 'vertex-2023-10-16'$/],
      [{ ...base, model: 'claude-sonnet-4-6' }, /^model: Extra inputs are not permitted$/],
      [{ ...base, max_tokens: undefined }, /^max_tokens: Field required$/],
    ];
    for (const [body, message] of cases) {
      const res = await post(url, body);
      expect(res.status).toBe(400);
      const answer = await res.json();
      expect(answer).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' }, request_id: expect.stringMatching(/^req_mock_/) });
      expect(answer.error.message).toMatch(message);
    }
    // The header Anthropic's own API requires is neither needed nor enough here.
    expect((await post(url, noVersion, { ...BEARER, 'anthropic-version': '2023-06-01' })).status).toBe(400);
    expect((await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'streamRawPredict'), { ...base, model: 'x', stream: true })).status).toBe(400);
  });
});

describe('authentication', () => {
  const gemini = { contents: [{ parts: [{ text: 'hi' }] }] };
  const claude = { anthropic_version: VERTEX_ANTHROPIC_VERSION, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

  it('requires Authorization: Bearer; API key headers do not count', async () => {
    const refused: Record<string, string>[] = [{}, { 'x-goog-api-key': 'k' }, { 'x-api-key': 'k' }, { authorization: 'Basic abc' }];
    for (const headers of refused) {
      const res = await post(modelUrl('google', 'gemini-2.5-flash', 'generateContent'), gemini, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED', message: expect.stringMatching(/missing required authentication credential/) } });
    }
    const claudeRes = await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict'), claude, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    expect(claudeRes.status).toBe(401);
    // Google's front end refuses it before Claude sees it: Google's shape.
    expect(await claudeRes.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(mock.requests.map((r) => r.apiKey)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(mock.requests.at(-1)).toMatchObject({ format: 'anthropic', project: PROJECT, location: LOCATION });
  });

  it('applies authorize to the bearer token, counting refusals', async () => {
    mock.authorize = (token) => token === TOKEN;
    expect((await post(modelUrl('google', 'gemini-2.5-flash', 'generateContent'), gemini)).status).toBe(200);
    const stale = await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict'), claude, { authorization: 'Bearer ya29.expired' });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(mock.refused).toHaveLength(1);
    expect(mock.refused[0]).toMatchObject({ format: 'anthropic', apiKey: 'ya29.expired', model: 'claude-sonnet-4-6' });
    expect((await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict'), claude)).status).toBe(200);
  });
});

describe('faults', () => {
  const gemini = { contents: [{ parts: [{ text: 'hi' }] }] };
  const claude = { anthropic_version: VERTEX_ANTHROPIC_VERSION, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

  it('match Vertex requests by format, key and model, in the publisher’s error shape', async () => {
    mock.fault({ kind: 'status', status: 429, format: 'anthropic', model: 'claude-sonnet-4-6', times: 1, retryAfter: '3' });
    mock.fault({ kind: 'status', status: 503, format: 'gemini', key: TOKEN, times: 1 });
    // Neither matches: another model, another token.
    expect((await post(modelUrl('anthropic', 'claude-haiku-4-5', 'rawPredict'), claude)).status).toBe(200);
    expect((await post(modelUrl('google', 'gemini-2.5-flash', 'generateContent'), gemini, { authorization: 'Bearer other' })).status).toBe(200);

    const limited = await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict'), claude);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: 'mock fault 429' } });

    const down = await post(modelUrl('google', 'gemini-2.5-flash', 'generateContent'), gemini);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });

    // Both used up.
    expect((await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'rawPredict'), claude)).status).toBe(200);
    expect((await post(modelUrl('google', 'gemini-2.5-flash', 'generateContent'), gemini)).status).toBe(200);
  });

  it('cut a Vertex stream like any other', async () => {
    mock.fault({ kind: 'cut', afterChunks: 2, times: 1 });
    const res = await post(modelUrl('anthropic', 'claude-sonnet-4-6', 'streamRawPredict'), { ...claude, stream: true });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(mock.requests[0]).toMatchObject({ stream: true, finished: false, aborted: false });
  });
});
