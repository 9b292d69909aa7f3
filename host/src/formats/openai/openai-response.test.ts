import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { openaiFormat } from './index.js';

/** An `openai` SDK client whose every request is answered with `body`. */
function sdkAnswering(body: unknown): OpenAI {
  return new OpenAI({ apiKey: 'k', baseURL: 'http://gateway.test/v1', maxRetries: 0, fetch: async () => Response.json(body) });
}

describe('openai responses', () => {
  const upstream = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-2024-08-06',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: 80, completion_tokens: 40, total_tokens: 120, prompt_tokens_details: { cached_tokens: 64, audio_tokens: 0 } },
    system_fingerprint: 'fp',
  };

  it('decodes parallel tool calls and cached usage', () => {
    expect(openaiFormat.decodeResponse(upstream)).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-2024-08-06',
      content: [
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { type: 'tool_call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 80, outputTokens: 40, cachedInputTokens: 64 },
    });
  });

  it('decodes DeepSeek reasoning and length stops; rejects malformed bodies with 502', () => {
    const deepseek = {
      id: 'd',
      model: 'deepseek-reasoner',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Four', reasoning_content: '2+2=4' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 5, completion_tokens: 6, prompt_cache_hit_tokens: 2 },
    };
    expect(openaiFormat.decodeResponse(deepseek)).toMatchObject({
      content: [{ type: 'thinking', text: '2+2=4' }, { type: 'text', text: 'Four' }],
      stopReason: 'max_tokens',
      usage: { inputTokens: 5, outputTokens: 6, cachedInputTokens: 2 },
    });
    expect(() => openaiFormat.decodeResponse({ id: 'x', choices: 'no' })).toThrow(/choices/);
  });

  it('encodes a body the SDK parses, and pulls error messages', async () => {
    const ir = openaiFormat.decodeResponse(upstream);
    const { body, dropped } = openaiFormat.encodeResponse({
      ...ir,
      content: [{ type: 'thinking', text: 'why', signature: 's' }, { type: 'text', text: 'Hi' }, ...ir.content],
      stopSequence: 'END',
    });
    expect(dropped.sort()).toEqual(['stopSequence', 'thinking.signature']);
    const completion = await sdkAnswering(body).chat.completions.create({ model: 'm', messages: [] });
    expect(completion.choices[0]!.message).toMatchObject({ content: 'Hi', reasoning_content: 'why', tool_calls: upstream.choices[0]!.message.tool_calls });
    expect(completion.usage).toMatchObject({ prompt_tokens: 80, total_tokens: 120, prompt_tokens_details: { cached_tokens: 64 } });
    expect(openaiFormat.errorMessage({ error: { message: 'bad key', type: 'invalid_request_error' } })).toBe('bad key');
    expect(openaiFormat.errorMessage('oops')).toBeUndefined();
    expect(openaiFormat.listing.encodeList([{ id: 'm1', ownedBy: 'p', created: 5 }])).toEqual({
      object: 'list',
      data: [{ id: 'm1', object: 'model', created: 5, owned_by: 'p' }],
    });
  });
});
