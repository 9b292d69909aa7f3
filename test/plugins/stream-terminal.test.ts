/**
 * A stream's ending is not a stream interceptor's to drop: with a plugin that drops every event,
 * each client format still gets its terminal event (`[DONE]`, `message_stop`,
 * `response.completed`) and so a complete, if empty, stream rather than a 200 with no end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, mockProviders, responsesProvider, startHost } from '../helpers/host.js';
import { pluginsDir } from '../helpers/plugins.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ providers: [...mockProviders(mock), responsesProvider(mock)], plugins: { dir: await pluginsDir(['stream-drop-all']) } });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

async function stream(path: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('a stream interceptor that drops everything', () => {
  it('leaves OpenAI clients their [DONE]', async () => {
    const text = await stream('/v1/chat/completions', { model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(text).not.toContain('"content"');
    expect(text.trim().split('\n').at(-1)).toBe('data: [DONE]');
  });

  it('leaves Anthropic clients their message_stop', async () => {
    const text = await stream('/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
    expect(text).not.toContain('text_delta');
    expect(text).toContain('event: message_stop');
  });

  it('leaves Responses clients their response.completed', async () => {
    const text = await stream('/v1/responses', { model: 'gpt-5-responses', stream: true, input: 'hi' });
    expect(text).not.toContain('response.output_text.delta');
    expect(text).toContain('response.completed');
  });
});
