/**
 * Token counting: Anthropic and Gemini upstreams count for real (the request is translated to
 * their count endpoint); an OpenAI upstream gets the host's estimate.
 */
import { describe, expect, it } from 'vitest';
import { anthropicClient, geminiClient } from '../helpers/clients.js';
import { UPSTREAM_MODEL, useGateway } from '../helpers/host.js';

const gateway = useGateway();

// System 3 words + message 5 words: the mock counts 8.
const SYSTEM = 'Count these words';
const TEXT = 'one two three four five';

describe.each(['anthropic', 'gemini'] as const)('%s client', (client) => {
  const count = async (model: string): Promise<number> => {
    if (client === 'anthropic') {
      const r = await anthropicClient(gateway.host.url).messages.countTokens({ model, system: SYSTEM, messages: [{ role: 'user', content: TEXT }] });
      return r.input_tokens;
    }
    // The genai SDK refuses systemInstruction in countTokens for the Gemini API.
    const r = await geminiClient(gateway.host.url).models.countTokens({ model, contents: `${SYSTEM} ${TEXT}` });
    return r.totalTokens ?? -1;
  };

  it.each(['anthropic', 'gemini'] as const)('counts with a %s upstream', async (upstream) => {
    gateway.mock.reset();
    expect(await count(UPSTREAM_MODEL[upstream])).toBe(8);
    expect(gateway.mock.requests).toHaveLength(1);
    expect(gateway.mock.requests[0]!.path).toMatch(upstream === 'anthropic' ? /\/messages\/count_tokens$/ : /:countTokens$/);
  });

  it('estimates for an OpenAI upstream without calling it', async () => {
    gateway.mock.reset();
    // About four characters a token (the Gemini client sends one more: the joining space).
    const chars = SYSTEM.length + TEXT.length + (client === 'gemini' ? 1 : 0);
    expect(await count(UPSTREAM_MODEL.openai)).toBe(Math.ceil(chars / 4));
    expect(gateway.mock.requests).toHaveLength(0);
  });
});
