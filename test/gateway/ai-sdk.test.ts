/**
 * The AI SDK's OpenAI provider (the Responses API by default) through Switchyard: generateText
 * and streamText running a tool loop, from the Responses format into every upstream type.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLIENT_KEY, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

let mock: MockUpstream;
let host: TestHost;
beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    providers: [...mockProviders(mock), { name: 'oresp', type: 'openai-responses', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-resp'], models: ['gpt-resp'] }],
  });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

const lookup = tool({
  description: 'Look something up',
  inputSchema: z.object({ query: z.string() }),
  execute: async ({ query }) => `found ${query}`,
});

describe.each(['gpt-4.1', 'claude-sonnet-4-6', 'gemini-2.5-pro', 'gpt-resp'])('AI SDK into %s', (model) => {
  const openai = () => createOpenAI({ baseURL: `${host.url}/v1`, apiKey: CLIENT_KEY });

  it('generateText runs a tool loop to a final text', async () => {
    const result = await generateText({ model: openai()(model), prompt: 'weather in Oslo', tools: { lookup }, stopWhen: stepCountIs(3) });
    expect(result.steps[0]!.toolCalls.map((c) => [c.toolName, c.input])).toEqual([['lookup', { query: 'weather in Oslo' }]]);
    expect(result.text).toContain('tool result: found weather in Oslo');
    expect(result.totalUsage.inputTokens).toBeGreaterThan(0);
  });

  it('streamText runs the same loop, streamed', async () => {
    const result = streamText({ model: openai()(model), prompt: 'weather in Rome', tools: { lookup }, stopWhen: stepCountIs(3) });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toContain('tool result: found weather in Rome');
    expect((await result.finishReason)).toBe('stop');
  });
});
