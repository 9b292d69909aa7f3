/**
 * Token counting: Anthropic and Gemini upstreams count for real (the request is translated to
 * their count endpoint); an OpenAI upstream gets the host's estimate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { anthropicClient, geminiClient } from '../helpers/clients.js';
import { type TestHost, UPSTREAM_MODEL, mockProviders, startHost } from '../helpers/host.js';

let mock: MockUpstream;
let host: TestHost;
beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ providers: mockProviders(mock) });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

// System 3 words + message 5 words: the mock counts 8.
const SYSTEM = 'Count these words';
const TEXT = 'one two three four five';

describe.each(['anthropic', 'gemini'] as const)('%s client', (client) => {
  const count = async (model: string): Promise<number> => {
    if (client === 'anthropic') {
      const r = await anthropicClient(host.url).messages.countTokens({ model, system: SYSTEM, messages: [{ role: 'user', content: TEXT }] });
      return r.input_tokens;
    }
    // The genai SDK refuses systemInstruction in countTokens for the Gemini API.
    const r = await geminiClient(host.url).models.countTokens({ model, contents: `${SYSTEM} ${TEXT}` });
    return r.totalTokens ?? -1;
  };

  it.each(['anthropic', 'gemini'] as const)('counts with a %s upstream', async (upstream) => {
    mock.reset();
    expect(await count(UPSTREAM_MODEL[upstream])).toBe(8);
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]!.path).toMatch(upstream === 'anthropic' ? /\/messages\/count_tokens$/ : /:countTokens$/);
  });

  it('estimates for an OpenAI upstream without calling it', async () => {
    mock.reset();
    // About four characters a token (the Gemini client sends one more: the joining space).
    const chars = SYSTEM.length + TEXT.length + (client === 'gemini' ? 1 : 0);
    expect(await count(UPSTREAM_MODEL.openai)).toBe(Math.ceil(chars / 4));
    expect(mock.requests).toHaveLength(0);
  });
});
