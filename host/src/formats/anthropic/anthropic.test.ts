import { describe, expect, it } from 'vitest';
import { expectInvalidBody, runCodecContract } from '../contract.test-suite.js';
import type { IRRequest } from '../ir.js';
import { anthropicFormat as codec } from './index.js';
import { sdkClient } from './sdk-client.test-suite.js';

runCodecContract(codec);

describe('anthropic decodeRequest', () => {
  const weatherTool = {
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    cache_control: { type: 'ephemeral' },
  };

  it('decodes a multi-turn tool conversation as the SDK sends it', () => {
    const { request, unmapped } = codec.decodeRequest(
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 1024,
        system: [
          { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'Answer in French.' },
        ],
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Two cities.', signature: 'sig-1' },
              { type: 'redacted_thinking', data: 'opaque' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: '21C' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_2',
                is_error: true,
                content: [{ type: 'text', text: 'Service' }, { type: 'text', text: 'down' }],
              },
              { type: 'tool_result', tool_use_id: 'toolu_unknown' },
            ],
          },
          { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
        ],
        tools: [weatherTool],
        tool_choice: { type: 'auto' },
        temperature: 0.2,
        top_p: 0.8,
        top_k: 40,
        stop_sequences: ['STOP'],
        metadata: { user_id: 'user-42' },
        stream: true,
      },
      {},
    );
    const expected: IRRequest = {
      model: 'claude-sonnet-4-6',
      system: 'You are terse.\n\nAnswer in French.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'Two cities.', signature: 'sig-1' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool_call', id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'toolu_1', name: 'get_weather', content: '21C' },
            { type: 'tool_result', toolCallId: 'toolu_2', name: 'get_weather', content: 'Service\n\ndown', isError: true },
            { type: 'tool_result', toolCallId: 'toolu_unknown', name: '', content: '' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Weather for a city', parameters: weatherTool.input_schema }],
      toolChoice: { type: 'auto' },
      maxTokens: 1024,
      temperature: 0.2,
      topP: 0.8,
      topK: 40,
      stopSequences: ['STOP'],
      stream: true,
      user: 'user-42',
    };
    expect(request).toEqual(expected);
    expect(unmapped).toEqual(['messages[].content[].type=redacted_thinking']);
  });

  it('decodes images by base64 and URL, and reports Files API images as unmapped', () => {
    const { request, unmapped } = codec.decodeRequest(
      {
        model: 'm',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
              { type: 'image', source: { type: 'file', file_id: 'file_1' } },
              { type: 'text', text: 'Compare.' },
            ],
          },
        ],
      },
      {},
    );
    expect(request.messages[0]!.content).toEqual([
      { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
      { type: 'text', text: 'Compare.' },
    ]);
    expect(unmapped).toEqual(['messages[].content[].source.type=file']);
  });

  it.each([
    [{ type: 'auto' }, { type: 'auto' }],
    [{ type: 'any' }, { type: 'required' }],
    [{ type: 'none' }, { type: 'none' }],
    [{ type: 'tool', name: 'get_weather' }, { type: 'tool', name: 'get_weather' }],
  ])('decodes tool_choice %j', (choice, expected) => {
    const { request } = codec.decodeRequest(
      { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice: choice },
      {},
    );
    expect(request.toolChoice).toEqual(expected);
  });

  it('folds system messages into the system prompt and takes stream from the body', () => {
    const { request } = codec.decodeRequest(
      {
        model: 'm',
        max_tokens: 1,
        system: 'First.',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Second.' }] },
          { role: 'user', content: 'hi' },
        ],
        stream: false,
      },
      { stream: true },
    );
    expect(request.system).toBe('First.\n\nSecond.');
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    expect(request.stream).toBe(false);
  });

  it('lists unmapped top-level fields, content types, server tools and tool_choice options', () => {
    const { request, unmapped } = codec.decodeRequest(
      {
        model: 'm',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024, display: 'omitted' },
        service_tier: 'auto',
        output_config: { effort: 'low' },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
              { type: 'text', text: 'Summarise.' },
              {
                type: 'tool_result',
                tool_use_id: 't',
                content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/x.png' } }],
              },
            ],
          },
        ],
        tools: [weatherTool, { type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      },
      {},
    );
    expect(request.tools?.map((t) => t.name)).toEqual(['get_weather']);
    expect(request.messages[0]!.content[0]).toEqual({ type: 'text', text: 'Summarise.' });
    expect(request.reasoning).toEqual({ mode: 'budget', budget: 1024 });
    expect(unmapped.sort()).toEqual(
      [
        'thinking.display',
        'service_tier',
        'output_config',
        'messages[].content[].type=document',
        'messages[].content[].content[].type=image',
        'tools[].type=web_search_20250305',
        'tool_choice.disable_parallel_tool_use',
      ].sort(),
    );
  });

  it('takes the model from the options when the body has none, and names model when neither has it', () => {
    const body = { max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] };
    expect(codec.decodeRequest(body, { model: 'fallback' }).request.model).toBe('fallback');
    expectInvalidBody(codec, body, 'model');
  });

  it.each([
    [{ model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 5 }] }, 'messages[1].content'],
    [{ model: 'm', messages: [{ role: 'tool', content: 'a' }] }, 'messages[0].role'],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] }, 'messages[0].content[0].source.data'],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', input: {} }] }] }, 'messages[0].content[0].name'],
    [{ model: 'm', messages: [{ role: 'user', content: [{ text: 'no type' }] }] }, 'messages[0].content[0].type'],
    [{ model: 'm', messages: [], tools: [{ name: 'f' }] }, 'tools[0].input_schema'],
    [{ model: 'm', messages: [], tool_choice: { type: 'tool' } }, 'tool_choice.name'],
    [{ model: 'm', messages: [], tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    [{ model: 'm', messages: [], max_tokens: '100' }, 'max_tokens'],
    [{ model: 'm', messages: [], temperature: 'hot' }, 'temperature'],
    [{ model: 'm', messages: [], system: [{ type: 'text' }] }, 'system[0].text'],
    [{ model: 'm', messages: [], stop_sequences: 'END' }, 'stop_sequences'],
    [{ model: 7, messages: [] }, 'model'],
    [{ model: 'm' }, 'messages'],
  ])('rejects %j naming %s', (body, field) => {
    expectInvalidBody(codec, body, field);
  });

  it('decodes the body the official SDK sends', async () => {
    const { client, sent } = sdkClient(() =>
      Response.json({ id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } }),
    );
    await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }, { type: 'text', text: 'What is it?' }] },
      ],
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'tool', name: 'lookup' },
      stop_sequences: ['\n\nHuman:'],
    });
    const { request, unmapped } = codec.decodeRequest(sent[0], {});
    expect(unmapped).toEqual([]);
    expect(request).toMatchObject({
      model: 'claude-haiku-4-5',
      system: 'Be brief.',
      maxTokens: 300,
      toolChoice: { type: 'tool', name: 'lookup' },
      stopSequences: ['\n\nHuman:'],
      stream: false,
    });
    expect(request.messages[0]!.content[0]).toEqual({ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } });
  });
});
