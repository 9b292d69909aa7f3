import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { expectInvalidBody, runCodecContract } from '../contract.test-suite.js';
import type { IRRequest } from '../ir.js';
import { openaiFormat } from './index.js';

runCodecContract(openaiFormat);

/** Captures the body the official SDK sends for `params`. */
async function sdkBody(params: OpenAI.ChatCompletionCreateParamsNonStreaming): Promise<Record<string, unknown>> {
  let sent: Record<string, unknown> = {};
  const client = new OpenAI({
    apiKey: 'k',
    baseURL: 'http://gateway.test/v1',
    maxRetries: 0,
    fetch: async (_url, init) => {
      sent = JSON.parse(String(init?.body));
      return Response.json({});
    },
  });
  await client.chat.completions.create(params);
  return sent;
}

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('openai decodeRequest', () => {
  it('decodes a multi-turn tool conversation exactly as the SDK sends it', async () => {
    const body = await sdkBody({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }, { type: 'text', text: 'No emoji.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here and there?' },
            { type: 'image_url', image_url: { url: 'https://x.test/a.jpg', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp":3}' },
        { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '12:00' }] },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [weatherTool, { type: 'function', function: { name: 'get_time' } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_completion_tokens: 300,
      stop: 'END',
      user: 'u-1',
      seed: 7,
      response_format: { type: 'json_object' },
      parallel_tool_calls: false,
    });
    const { request, unmapped } = openaiFormat.decodeRequest(body, {});
    expect(request).toEqual<IRRequest>({
      model: 'gpt-4o',
      system: 'Be terse.\n\nUse metric.\n\nNo emoji.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here and there?' },
            { type: 'image', source: { kind: 'url', url: 'https://x.test/a.jpg' } },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
            { type: 'tool_call', id: 'call_b', name: 'get_time', arguments: '{}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'call_a', name: 'get_weather', content: '{"temp":3}' },
            { type: 'tool_result', toolCallId: 'call_b', name: 'get_time', content: '12:00' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ],
      tools: [
        { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        { name: 'get_time', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'tool', name: 'get_weather' },
      maxTokens: 300,
      stopSequences: ['END'],
      user: 'u-1',
      stream: false,
      responseFormat: { type: 'json_object' },
    });
    expect(unmapped.sort()).toEqual(['messages[].content[].type=input_audio', 'parallel_tool_calls', 'seed']);
  });

  it('maps tool choice strings, stop arrays, max_tokens, stream and reasoning_content', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    for (const choice of ['auto', 'none', 'required'] as const) {
      expect(openaiFormat.decodeRequest({ ...base, tool_choice: choice }, {}).request.toolChoice).toEqual({ type: choice });
    }
    const { request } = openaiFormat.decodeRequest(
      {
        ...base,
        messages: [
          ...base.messages,
          { role: 'assistant', content: 'Four.', reasoning_content: '2+2', refusal: null },
          // Some clients omit the tool call's `type`; it can only be "function".
          { role: 'assistant', content: '', tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{}' } }] },
        ],
        stop: ['a', 'b'],
        max_tokens: 9,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0,
        top_p: 1,
      },
      {},
    );
    expect(request).toMatchObject({ stopSequences: ['a', 'b'], maxTokens: 9, stream: true, temperature: 0, topP: 1 });
    expect(request.messages[1]!.content).toEqual([{ type: 'thinking', text: '2+2' }, { type: 'text', text: 'Four.' }]);
    expect(request.messages[2]!.content).toEqual([{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }]);
  });

  it('reports legacy functions, allowed_tools and custom tools as unmapped', () => {
    const { request, unmapped } = openaiFormat.decodeRequest(
      {
        model: 'm',
        messages: [
          { role: 'assistant', content: '', function_call: { name: 'f', arguments: '{}' } },
          { role: 'function', name: 'f', content: 'ok' },
          { role: 'tool', tool_call_id: 'unknown', content: 'x' },
        ],
        functions: [{ name: 'f' }],
        function_call: 'auto',
        tools: [{ type: 'custom', custom: { name: 'grammar' } }],
        tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } },
        seed: null,
      },
      {},
    );
    expect(unmapped.sort()).toEqual([
      'function_call', 'functions', 'messages[].function_call', 'messages[].role=function', 'tool_choice', 'tools[].type=custom',
    ]);
    expect(request.tools).toBeUndefined();
    expect(request.toolChoice).toBeUndefined();
    expect(request.messages).toEqual([
      { role: 'assistant', content: [] },
      { role: 'user', content: [{ type: 'tool_result', toolCallId: 'unknown', name: '', content: 'x' }] },
    ]);
  });

  it('takes model and stream from options when the body lacks them', () => {
    const { request } = openaiFormat.decodeRequest({ messages: [] }, { model: 'opt', stream: true });
    expect(request).toMatchObject({ model: 'opt', stream: true });
  });

  it('rejects bad fields with a 400 naming the field', () => {
    const m = (messages: unknown[]) => ({ model: 'm', messages });
    expectInvalidBody(openaiFormat, { messages: [] }, 'model');
    expectInvalidBody(openaiFormat, m([{ role: 'user', content: 'a' }, { role: 'user', content: 5 }]), 'messages[1].content');
    expectInvalidBody(openaiFormat, m([{ role: 'robot', content: 'a' }]), 'messages[0].role');
    expectInvalidBody(openaiFormat, m([{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }]), 'messages[0].content[0].image_url.url');
    expectInvalidBody(openaiFormat, m([{ role: 'tool', content: 'x' }]), 'messages[0].tool_call_id');
    expectInvalidBody(
      openaiFormat,
      m([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }]),
      'messages[0].tool_calls[0].function.arguments',
    );
    expectInvalidBody(openaiFormat, { ...m([]), tools: [{ type: 'function', function: {} }] }, 'tools[0].function.name');
    expectInvalidBody(openaiFormat, { ...m([]), stop: 5 }, 'stop');
    expectInvalidBody(openaiFormat, { ...m([]), max_tokens: '5' }, 'max_tokens');
    expectInvalidBody(openaiFormat, { ...m([]), tool_choice: 'sometimes' }, 'tool_choice');
  });
});

describe('openai encodeRequest', () => {
  it('puts tool messages first, drops earlier reasoning, and lists dropped fields', () => {
    const { body, dropped } = openaiFormat.encodeRequest({
      model: 'm',
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'hmm', signature: 'sig' },
            { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'see' },
            { type: 'tool_result', toolCallId: 'c1', name: 'f', content: 'boom', isError: true },
            { type: 'image', source: { kind: 'url', url: 'https://x.test/i.png' } },
          ],
        },
      ],
      toolChoice: { type: 'required' },
      topK: 5,
      stream: true,
    });
    expect(body).toEqual({
      model: 'm',
      messages: [
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'boom' },
        { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'https://x.test/i.png' } }] },
      ],
      tool_choice: 'required',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(dropped.sort()).toEqual(['thinking', 'tool_result.isError', 'topK']);
  });
});
