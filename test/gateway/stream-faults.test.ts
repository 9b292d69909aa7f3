/**
 * Streams under upstream faults: a cut mid-stream ends with the client format's error event
 * and never a clean ending; failures before the first byte are plain JSON errors; a client
 * that disconnects aborts the upstream call.
 */
import { describe, expect, it } from 'vitest';
import { anthropicClient, geminiClient, openaiClient } from '../helpers/clients.js';
import { CLIENT_KEY, type LogLines, UPSTREAM_MODEL, useGateway } from '../helpers/host.js';
import { within } from '../helpers/wait.js';

type Format = 'openai' | 'anthropic' | 'gemini';
const FORMATS: Format[] = ['openai', 'anthropic', 'gemini'];

// These tests are about stream framing, not cooldowns: failures must not cool credentials for
// the tests after them, and a 429 must be answered at once rather than waited out.
const logs: LogLines = [];
const gateway = useGateway({ cooldown: { transientSeconds: 0 }, retry: { maxRetryInterval: 0 } }, undefined, logs);

/** A streaming request in `client` format for `model` (a long question so the stream has many chunks). */
function streamRequest(client: Format, model: string, signal?: AbortSignal): Promise<Response> {
  const text = 'one two three four five six seven eight nine ten';
  const init = (path: string, body: unknown) =>
    fetch(`${gateway.host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify(body),
      signal,
    });
  switch (client) {
    case 'openai':
      return init('/v1/chat/completions', { model, stream: true, messages: [{ role: 'user', content: text }] });
    case 'anthropic':
      return init('/v1/messages', { model, stream: true, max_tokens: 100, messages: [{ role: 'user', content: text }] });
    case 'gemini':
      return init(`/v1beta/models/${model}:streamGenerateContent?alt=sse`, { contents: [{ role: 'user', parts: [{ text }] }] });
  }
}

const CLEAN_END: Record<Format, RegExp> = { openai: /\[DONE\]/, anthropic: /message_stop/, gemini: /"finishReason"/ };
const ERROR_EVENT: Record<Format, RegExp> = {
  openai: /^data: \{"error":\{"message":"[^"]*upstream[^"]*"/m,
  anthropic: /^event: error\ndata: \{"type":"error","error":\{"type":"\w+","message":"[^"]*upstream/m,
  gemini: /^data: \{"error":\{"code":\d+,"message":"[^"]*upstream/m,
};

describe.each(FORMATS)('%s client', (client) => {
  describe.each(FORMATS)('from %s upstream', (upstream) => {
    it('an upstream cut mid-stream ends with an error event, not a clean end', async () => {
      gateway.mock.reset();
      gateway.mock.fault({ kind: 'cut', afterChunks: 4 });
      const res = await streamRequest(client, UPSTREAM_MODEL[upstream]);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const text = await res.text();
      expect(text).toMatch(ERROR_EVENT[client]);
      expect(text).not.toMatch(CLEAN_END[client]);
    });
  });

  it('an upstream failure before the first byte is a plain JSON error with its status', async () => {
    gateway.mock.reset();
    gateway.mock.fault({ kind: 'status', status: 500 });
    const res = await streamRequest(client, UPSTREAM_MODEL.openai);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(JSON.stringify(await res.json())).toMatch(/openai\/gpt-4\.1 via openai#0: 500/);
  });

  it('a client that disconnects mid-stream aborts the upstream request', async () => {
    const since = logs.length;
    gateway.mock.reset();
    gateway.mock.fault({ kind: 'slow', delayMs: 200 });
    const controller = new AbortController();
    const res = await streamRequest(client, UPSTREAM_MODEL.anthropic, controller.signal);
    const reader = res.body!.getReader();
    await reader.read(); // the first event arrived: the stream is under way
    controller.abort();
    await gateway.mock.waitFor((reqs) => reqs[0]?.aborted === true, 3000);
    expect(gateway.mock.requests[0]!.finished).toBe(false);
    // A client leaving is no error of the host's: its access line says 200, and nothing logs an error.
    const requestId = res.headers.get('x-switchyard-request-id');
    await within(3000, () => logs.some((line) => line.requestId === requestId && line.status === 200));
    expect(logs.slice(since).filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});

it('a client that disconnects before the first byte aborts the upstream request', async () => {
  gateway.mock.reset();
  gateway.mock.fault({ kind: 'hang' });
  const controller = new AbortController();
  const pending = streamRequest('openai', UPSTREAM_MODEL.gemini, controller.signal).catch((e: Error) => e);
  await gateway.mock.waitFor((reqs) => reqs.length === 1, 3000);
  controller.abort();
  expect(await pending).toBeInstanceOf(Error);
  await gateway.mock.waitFor((reqs) => reqs[0]?.aborted === true, 3000);
});

it('a 429 upstream answers 429 with Retry-After in the client format', async () => {
  gateway.mock.reset();
  // Its own model: the 429 cools openai#0 for gpt-4.1-mini only, not for the tests after it.
  gateway.mock.fault({ kind: 'status', status: 429, retryAfter: '7' });
  const res = await streamRequest('anthropic', 'gpt-4.1-mini');
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe('7');
  expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
});

it('an upstream 400 passes on as 400 with the upstream message', async () => {
  gateway.mock.reset();
  gateway.mock.fault({ kind: 'status', status: 400, message: 'messages: too short' });
  const res = await streamRequest('gemini', UPSTREAM_MODEL.anthropic);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('too short') } });
});

describe('the official SDKs raise on a stream cut midway, after the text so far', () => {
  const cut = () => {
    gateway.mock.reset();
    gateway.mock.fault({ kind: 'cut', afterChunks: 4 });
  };
  const question = 'one two three four five six seven eight nine ten';

  it('openai', async () => {
    cut();
    let text = '';
    const run = async () => {
      const s = await openaiClient(gateway.host.url).chat.completions.create({ model: UPSTREAM_MODEL.gemini, stream: true, messages: [{ role: 'user', content: question }] });
      for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(run()).rejects.toThrow(/upstream stream failed/);
    expect(text.length).toBeGreaterThan(0);
  });

  it('anthropic', async () => {
    cut();
    let text = '';
    const run = async () => {
      const s = anthropicClient(gateway.host.url).messages.stream({ model: UPSTREAM_MODEL.openai, max_tokens: 50, messages: [{ role: 'user', content: question }] });
      s.on('text', (t) => (text += t));
      await s.finalMessage();
    };
    await expect(run()).rejects.toThrow(/upstream stream failed/);
    expect(text.length).toBeGreaterThan(0);
  });

  it('gemini', async () => {
    cut();
    let text = '';
    const run = async () => {
      const s = await geminiClient(gateway.host.url).models.generateContentStream({ model: UPSTREAM_MODEL.anthropic, contents: question });
      for await (const chunk of s) text += chunk.text ?? '';
    };
    await expect(run()).rejects.toThrow(/upstream stream failed|Incomplete JSON segment/);
    expect(text.length).toBeGreaterThan(0);
  });
});
