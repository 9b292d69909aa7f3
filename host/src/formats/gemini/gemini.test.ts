import { describe, expect, it } from 'vitest';
import { UpstreamStreamError, type SseEvent } from '../wire-format.js';
import { coalesce, expectInvalidBody, runCodecContract, toSse } from '../contract.test-suite.js';
import type { IRRequest, IRStreamEvent } from '../ir.js';
import { geminiFormat } from './index.js';
import { decodeFunctionResponse, encodeFunctionResponse } from './mapping.js';

runCodecContract(geminiFormat);

const decode = (body: unknown, options = { model: 'gemini-2.5-flash' }) => geminiFormat.decodeRequest(body, options);

const sse = (data: unknown): SseEvent => ({ data: JSON.stringify(data) });

describe('gemini decodeRequest', () => {
  it('decodes the body @google/genai 1.52 sends (captured from the SDK) with model and stream from the URL', () => {
    const body = {
      contents: [{ parts: [{ text: 'hi' }], role: 'user' }],
      systemInstruction: { parts: [{ text: 'be terse' }], role: 'user' },
      tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object' } }] }],
      toolConfig: { functionCallingConfig: { allowedFunctionNames: ['f'], mode: 'ANY' } },
      generationConfig: { maxOutputTokens: 5 },
    };
    const { request, unmapped } = geminiFormat.decodeRequest(body, { model: 'gemini-x', stream: true });
    expect(request).toEqual({
      model: 'gemini-x',
      system: 'be terse',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', name: 'f' },
      maxTokens: 5,
      stream: true,
    } satisfies IRRequest);
    expect(unmapped).toEqual([]);
  });

  it('joins several system parts, maps sampling fields and lists unmapped ones', () => {
    const { request, unmapped } = decode({
      systemInstruction: { parts: [{ text: 'One.' }, { text: 'Two.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      generationConfig: {
        temperature: 0.2, topP: 0.8, topK: 40, maxOutputTokens: 100, stopSequences: ['\n\n'],
        responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 0 },
      },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
      cachedContent: 'cachedContents/abc',
    });
    expect(request).toMatchObject({ system: 'One.\n\nTwo.', temperature: 0.2, topP: 0.8, topK: 40, maxTokens: 100, stopSequences: ['\n\n'], stream: false });
    expect(request.reasoning).toEqual({ mode: 'off' });
    expect(unmapped.sort()).toEqual(['cachedContent', 'generationConfig.responseMimeType', 'safetySettings']);
  });

  it('decodes a multi-turn tool conversation: id-less calls get call_<n>, responses match by name, function turns merge', () => {
    const { request } = decode({
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris and Rome, and the time?' }] },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig1' },
            { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
            { functionCall: { id: 'fc_t', name: 'get_time', args: {} } },
          ],
        },
        { role: 'function', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] },
        {
          role: 'function',
          parts: [
            { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
            { functionResponse: { id: 'fc_t', name: 'get_time', response: { error: 'clock broken' } } },
          ],
        },
        { role: 'user', parts: [{ text: 'Thanks' }] },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome, and the time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', text: '', signature: 'sig1' },
          { type: 'tool_call', id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
          { type: 'tool_call', id: 'fc_t', name: 'get_time', arguments: '{}' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'call_0', name: 'get_weather', content: 'sunny' },
          { type: 'tool_result', toolCallId: 'call_1', name: 'get_weather', content: '{"temp":21}' },
          { type: 'tool_result', toolCallId: 'fc_t', name: 'get_time', content: 'clock broken', isError: true },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
    ]);
  });

  it('decodes images by base64 and by URL, drops other media into unmapped', () => {
    const { request, unmapped } = decode({
      contents: [{
        parts: [
          { text: 'Compare' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } },
          { fileData: { mimeType: 'video/mp4', fileUri: 'https://example.com/v.mp4' } },
          { inline_data: { mime_type: 'application/pdf', data: 'JVBERi0=' } },
          { executableCode: { language: 'PYTHON', code: 'print(1)' } },
        ],
      }],
    });
    expect(request.messages).toEqual([{
      role: 'user',
      content: [
        { type: 'text', text: 'Compare' },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    }]);
    expect(unmapped.sort()).toEqual([
      'contents[].parts[].executableCode',
      'contents[].parts[].fileData.mimeType=video/mp4',
      'contents[].parts[].inlineData.mimeType=application/pdf',
    ]);
  });

  it('accepts the REST snake_case spellings and turns OpenAPI Schema parameters into JSON Schema', () => {
    const { request, unmapped } = decode({
      system_instruction: { parts: [{ text: 'sys' }] },
      contents: [
        { role: 'user', parts: [{ text: 'go' }] },
        { role: 'model', parts: [{ function_call: { id: 'a', name: 'lookup', args: { q: 'x' } } }] },
        { role: 'user', parts: [{ function_response: { id: 'a', name: 'lookup', response: { output: 'found' } } }] },
      ],
      tools: [{
        function_declarations: [{
          name: 'lookup',
          description: 'Look up',
          parameters: { type: 'OBJECT', properties: { q: { type: 'STRING', enum: ['OBJECT'] }, n: { type: 'ARRAY', items: { type: 'INTEGER' } } }, required: ['q'] },
        }],
      }, { googleSearch: {} }],
      tool_config: { function_calling_config: { mode: 'NONE' } },
      generation_config: { max_output_tokens: 64, top_p: 0.5, top_k: 3, stop_sequences: ['x'], seed: 7 },
    });
    expect(request).toMatchObject({
      system: 'sys',
      maxTokens: 64,
      topP: 0.5,
      topK: 3,
      stopSequences: ['x'],
      toolChoice: { type: 'none' },
      tools: [{
        name: 'lookup',
        description: 'Look up',
        parameters: { type: 'object', properties: { q: { type: 'string', enum: ['OBJECT'] }, n: { type: 'array', items: { type: 'integer' } } }, required: ['q'] },
      }],
    });
    expect(request.messages[1]!.content).toEqual([{ type: 'tool_call', id: 'a', name: 'lookup', arguments: '{"q":"x"}' }]);
    expect(request.messages[2]!.content).toEqual([{ type: 'tool_result', toolCallId: 'a', name: 'lookup', content: 'found' }]);
    expect(unmapped.sort()).toEqual(['generation_config.seed', 'tools[].googleSearch']);
  });

  it.each([
    [{ mode: 'AUTO' }, { type: 'auto' }],
    [{ mode: 'VALIDATED' }, { type: 'auto' }],
    [{ mode: 'NONE' }, { type: 'none' }],
    [{ mode: 'ANY' }, { type: 'required' }],
    [{ mode: 'ANY', allowedFunctionNames: ['a'] }, { type: 'tool', name: 'a' }],
    [{ mode: 'ANY', allowedFunctionNames: ['a', 'b'] }, { type: 'required' }],
  ])('maps functionCallingConfig %j to tool choice %j', (config, choice) => {
    const { request } = decode({ contents: [], tools: [{ functionDeclarations: [{ name: 'a' }, { name: 'b' }] }], toolConfig: { functionCallingConfig: config } });
    expect(request.toolChoice).toEqual(choice);
    // A function without parameters still gets an object schema.
    expect(request.tools![0]!.parameters).toEqual({ type: 'object', properties: {} });
  });

  it('decodes thought parts with their signature into thinking', () => {
    const { request } = decode({
      contents: [
        { role: 'user', parts: [{ text: 'q' }] },
        { role: 'model', parts: [{ text: 'Reasoning...', thought: true, thoughtSignature: 'c2ln' }, { text: 'Answer' }] },
      ],
    });
    expect(request.messages[1]!.content).toEqual([
      { type: 'thinking', text: 'Reasoning...', signature: 'c2ln' },
      { type: 'text', text: 'Answer' },
    ]);
  });

  it('rejects bad fields with a 400 naming them', () => {
    expectInvalidBody(geminiFormat, {}, 'contents', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: 'hi' }, 'contents', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ role: 'assistant', parts: [] }] }, 'contents[0].role', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ parts: [{ text: 1 }] }] }, 'contents[0].parts[0].text', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ parts: 'hi' }] }, 'contents[0].parts', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ parts: [{ inlineData: { data: 'x' } }] }] }, 'contents[0].parts[0].inlineData.mimeType', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ parts: [{ inline_data: { mime_type: 'image/png', data: 1 } }] }] }, 'contents[0].parts[0].inline_data.data', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ parts: [{ functionCall: { args: {} } }] }] }, 'contents[0].parts[0].functionCall.name', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [{ parts: [{ functionCall: { name: 'f', args: '{}' } }] }] }, 'contents[0].parts[0].functionCall.args', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [], generationConfig: { maxOutputTokens: '5' } }, 'generationConfig.maxOutputTokens', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [], generation_config: { temperature: 'hot' } }, 'generation_config.temperature', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [], tools: [{ functionDeclarations: [{ description: 'x' }] }] }, 'tools[0].functionDeclarations[0].name', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [], toolConfig: { functionCallingConfig: { mode: 'SOMETIMES' } } }, 'toolConfig.functionCallingConfig.mode', { model: 'm' });
    expectInvalidBody(geminiFormat, { contents: [] }, 'model');
  });
});

describe('gemini encodeRequest', () => {
  const base: IRRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true };

  it('leaves model and stream out of the body and sends tools as parametersJsonSchema', () => {
    const { body, dropped } = geminiFormat.encodeRequest({
      ...base,
      system: 'sys',
      tools: [{ name: 't', description: 'd', parameters: { type: 'object', additionalProperties: false } }],
      toolChoice: { type: 'tool', name: 't' },
      topK: 5,
      user: 'u1',
    });
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'sys' }] },
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      tools: [{ functionDeclarations: [{ name: 't', description: 'd', parametersJsonSchema: { type: 'object', additionalProperties: false } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['t'] } },
      generationConfig: { topK: 5 },
    });
    expect(dropped).toEqual(['user']);
  });

  it.each([
    [{ type: 'auto' }, { mode: 'AUTO' }],
    [{ type: 'none' }, { mode: 'NONE' }],
    [{ type: 'required' }, { mode: 'ANY' }],
  ] as const)('encodes tool choice %j', (choice, config) => {
    const { body } = geminiFormat.encodeRequest({ ...base, tools: [{ name: 't', parameters: {} }], toolChoice: choice });
    expect(body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('drops a tool choice without tools', () => {
    const { body, dropped } = geminiFormat.encodeRequest({ ...base, toolChoice: { type: 'required' } });
    expect(body.toolConfig).toBeUndefined();
    expect(dropped).toEqual(['toolChoice']);
  });

  it('encodes URL images as fileData with a guessed mimeType, data URLs inline, bad args as {}', () => {
    const { body } = geminiFormat.encodeRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'url', url: 'https://x.test/a.PNG?size=2' } },
            { type: 'image', source: { kind: 'url', url: 'https://x.test/photo' } },
            { type: 'image', source: { kind: 'url', url: 'data:image/webp;base64,UklGRg==' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{"a":' }] },
      ],
    });
    expect(body.contents).toEqual([
      {
        role: 'user',
        parts: [
          { fileData: { mimeType: 'image/png', fileUri: 'https://x.test/a.PNG?size=2' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://x.test/photo' } },
          { inlineData: { mimeType: 'image/webp', data: 'UklGRg==' } },
        ],
      },
      { role: 'model', parts: [{ functionCall: { id: 'c', name: 'f', args: {} } }] },
    ]);
  });

  it('puts a thought signature back on the part it came with', () => {
    const wire = [
      { text: 'Plan', thought: true, thoughtSignature: 's0' },
      { functionCall: { id: 'c1', name: 'f', args: { x: 1 } }, thoughtSignature: 's1' },
      { text: 'done', thoughtSignature: 's2' },
      { text: '', thoughtSignature: 's3' },
    ];
    const { request } = decode({ contents: [{ role: 'model', parts: wire }] });
    const { body } = geminiFormat.encodeRequest(request);
    expect(body.contents).toEqual([{ role: 'model', parts: wire }]);
  });
});

describe('gemini function response rule', () => {
  it.each([
    ['{"temp":21}', undefined],
    ['{"temp": 21}', undefined],
    ['plain text', undefined],
    ['[1,2]', undefined],
    ['{"result":"x"}', undefined],
    ['{"output":"x","more":1}', undefined],
    ['it failed', true],
  ] as const)('round-trips content %j (isError %j) exactly', (content, isError) => {
    const back = decodeFunctionResponse(encodeFunctionResponse(content, isError));
    expect(back).toEqual(isError ? { content, isError } : { content });
  });

  it('sends canonical JSON objects as objects and wraps everything else in {result}', () => {
    expect(encodeFunctionResponse('{"temp":21}')).toEqual({ temp: 21 });
    expect(encodeFunctionResponse('sunny')).toEqual({ result: 'sunny' });
    expect(encodeFunctionResponse('boom', true)).toEqual({ error: 'boom' });
  });
});

describe('gemini responses', () => {
  const upstream = {
    candidates: [{
      content: {
        role: 'model',
        parts: [
          { text: 'Thinking about it', thought: true },
          { text: 'Checking both.' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig' },
          { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
        ],
      },
      finishReason: 'STOP',
      index: 0,
      safetyRatings: [],
    }],
    usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, thoughtsTokenCount: 30, cachedContentTokenCount: 64, totalTokenCount: 150 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'abc123',
  };

  it('decodes an upstream answer with thoughts and parallel function calls', () => {
    expect(geminiFormat.decodeResponse(upstream)).toEqual({
      id: 'abc123',
      model: 'gemini-2.5-flash',
      content: [
        { type: 'thinking', text: 'Thinking about it' },
        { type: 'text', text: 'Checking both.' },
        { type: 'thinking', text: '', signature: 'sig' },
        { type: 'tool_call', id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 100, outputTokens: 50, cachedInputTokens: 64 },
    });
  });

  it.each([
    ['STOP', 'end_turn'],
    ['MAX_TOKENS', 'max_tokens'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'other'],
  ])('maps finishReason %s to %s', (finishReason, stopReason) => {
    const body = { candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason }] };
    expect(geminiFormat.decodeResponse(body).stopReason).toBe(stopReason);
  });

  it('treats a blocked prompt (no candidates) as content_filter', () => {
    const decoded = geminiFormat.decodeResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } });
    expect(decoded).toMatchObject({ content: [], stopReason: 'content_filter', usage: { inputTokens: 8, outputTokens: 0 } });
    expect(decoded.id).toMatch(/^resp_/);
  });

  it('answers an unreadable upstream body with a 502', () => {
    expect(() => geminiFormat.decodeResponse({ candidates: 'x' })).toThrow(expect.objectContaining({ status: 502, code: 'upstream_failed' }));
  });

  it('encodes an IR answer the way the SDK parses it, reporting an unsendable stop sequence', () => {
    const { body, dropped } = geminiFormat.encodeResponse({
      id: 'r1',
      model: 'claude-x',
      content: [{ type: 'text', text: 'Done' }],
      stopReason: 'stop_sequence',
      stopSequence: 'END',
      usage: { inputTokens: 3, outputTokens: 2, cachedInputTokens: 1 },
    });
    expect(body).toEqual({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Done' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5, cachedContentTokenCount: 1 },
      modelVersion: 'claude-x',
      responseId: 'r1',
    });
    expect(dropped).toEqual(['stopSequence']);
  });

  it('reads error messages and lists models', () => {
    const error = { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } };
    expect(geminiFormat.errorMessage(error)).toBe('Resource has been exhausted');
    expect(geminiFormat.errorMessage([error])).toBe('Resource has been exhausted');
    expect(geminiFormat.errorMessage({ message: 'x' })).toBeUndefined();
    expect(geminiFormat.errorMessage('oops')).toBeUndefined();
    expect(geminiFormat.listing.encodeList([{ id: 'gemini-2.5-pro', ownedBy: 'google', created: 1, displayName: 'Gemini 2.5 Pro' }])).toEqual({
      models: [{
        name: 'models/gemini-2.5-pro',
        version: '001',
        displayName: 'Gemini 2.5 Pro',
        supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
      }],
    });
  });
});

describe('gemini stream decoder', () => {
  const run = (events: SseEvent[]) => {
    const decoder = geminiFormat.createStreamDecoder();
    return events.flatMap((e) => decoder.decode(e));
  };

  it('decodes a real gemini-3.1 transcript: usage in every chunk, final empty signed part', () => {
    const meta = { modelVersion: 'gemini-3.1-flash-lite-preview', responseId: 'tTCw' };
    const events = run([
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hello!' }] } }], usageMetadata: { trafficType: 'ON_DEMAND' }, ...meta }),
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: ' How can I help?' }] } }], usageMetadata: { trafficType: 'ON_DEMAND' }, ...meta }),
      sse({
        candidates: [{ content: { role: 'model', parts: [{ text: '', thoughtSignature: 'AY89' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 9, totalTokenCount: 10, trafficType: 'ON_DEMAND' },
        ...meta,
      }),
    ]);
    expect(events).toEqual([
      { type: 'start', id: 'tTCw', model: 'gemini-3.1-flash-lite-preview' },
      { type: 'text', text: 'Hello!' },
      { type: 'text', text: ' How can I help?' },
      { type: 'thinking', text: '', signature: 'AY89' },
      { type: 'finish', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 9 } },
    ]);
  });

  it('decodes thoughts, text and parallel function calls (whole, one delta each) to tool_calls', () => {
    const events = run([
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Let me think', thought: true }] }, index: 0 }], usageMetadata: { promptTokenCount: 50 }, responseId: 'r', modelVersion: 'g' }),
      { data: '' },
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Checking.' }] }, index: 0 }], usageMetadata: { promptTokenCount: 50 } }),
      sse({
        candidates: [{
          content: { role: 'model', parts: [{ functionCall: { name: 'a', args: { x: 1 } }, thoughtSignature: 'S' }, { functionCall: { id: 'own', name: 'b', args: {} } }] },
          finishReason: 'STOP',
          index: 0,
        }],
        usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 10, thoughtsTokenCount: 5, totalTokenCount: 65 },
      }),
    ]);
    expect(events).toEqual([
      { type: 'start', id: 'r', model: 'g' },
      { type: 'thinking', text: 'Let me think' },
      { type: 'text', text: 'Checking.' },
      { type: 'thinking', text: '', signature: 'S' },
      { type: 'tool_call_start', index: 0, id: 'call_0', name: 'a' },
      { type: 'tool_call_delta', index: 0, arguments: '{"x":1}' },
      { type: 'tool_call_start', index: 1, id: 'own', name: 'b' },
      { type: 'tool_call_delta', index: 1, arguments: '{}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 50, outputTokens: 15 } },
    ]);
  });

  it('emits usage once, also when it comes after the finish chunk', () => {
    const events = run([
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason: 'MAX_TOKENS' }] }),
      sse({ usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1 } }),
      sse({ usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1 } }),
    ]);
    expect(events.filter((e) => e.type === 'finish')).toEqual([{ type: 'finish', stopReason: 'max_tokens' }]);
    expect(events.filter((e) => e.type === 'usage')).toEqual([{ type: 'usage', usage: { inputTokens: 2, outputTokens: 1 } }]);
  });

  it('finishes a blocked prompt with content_filter', () => {
    const events = run([sse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 4 } })]);
    expect(events.slice(1)).toEqual([
      { type: 'finish', stopReason: 'content_filter' },
      { type: 'usage', usage: { inputTokens: 4, outputTokens: 0 } },
    ]);
  });

  it('throws UpstreamStreamError on an error event, with its code', () => {
    const decoder = geminiFormat.createStreamDecoder();
    decoder.decode(sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'par' }] } }] }));
    const error = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
    expect(() => decoder.decode(sse(error))).toThrow(UpstreamStreamError);
    expect(() => decoder.decode(sse(error))).toThrow(expect.objectContaining({ status: 503, message: 'The model is overloaded. Please try again later.' }));
    expect(() => decoder.decode({ data: '{not json' })).toThrow(UpstreamStreamError);
  });
});

describe('gemini stream encoder', () => {
  const encodeAll = (events: IRStreamEvent[]) => {
    const encoder = geminiFormat.createStreamEncoder();
    return [...events.flatMap((e) => encoder.encode(e)), ...encoder.end()].map((w) => w.data);
  };

  it('emits GenerateContentResponse chunks, tool calls whole, finish and usage in the last chunk', () => {
    const chunks = encodeAll([
      { type: 'start', id: 'r9', model: 'gpt-x' },
      { type: 'text', text: 'Hi' },
      { type: 'tool_call_start', index: 0, id: 'c0', name: 'a' },
      { type: 'tool_call_start', index: 1, id: 'c1', name: 'b' },
      { type: 'tool_call_delta', index: 1, arguments: '{"y":' },
      { type: 'tool_call_delta', index: 0, arguments: '{}' },
      { type: 'tool_call_delta', index: 1, arguments: '2}' },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 4 } },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
    const meta = { modelVersion: 'gpt-x', responseId: 'r9' };
    expect(chunks).toEqual([
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0 }], ...meta },
      {
        candidates: [{
          content: { role: 'model', parts: [{ functionCall: { id: 'c0', name: 'a', args: {} } }, { functionCall: { id: 'c1', name: 'b', args: { y: 2 } } }] },
          finishReason: 'STOP',
          index: 0,
        }],
        usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 4, totalTokenCount: 11 },
        ...meta,
      },
    ]);
  });

  it('flushes buffered calls before later text and keeps signatures on their parts', () => {
    const chunks = encodeAll([
      { type: 'thinking', text: 'hmm', signature: 's0' },
      { type: 'thinking', text: '', signature: 's1' },
      { type: 'tool_call_start', index: 0, id: 'c0', name: 'a' },
      { type: 'tool_call_delta', index: 0, arguments: '{"k":1}' },
      { type: 'text', text: 'after' },
      { type: 'thinking', text: '', signature: 's2' },
    ]) as { candidates: { content?: { parts: unknown[] }; finishReason?: string }[]; responseId: string }[];
    expect(chunks.map((c) => c.candidates[0]!.content?.parts)).toEqual([
      [{ text: 'hmm', thought: true, thoughtSignature: 's0' }],
      [{ functionCall: { id: 'c0', name: 'a', args: { k: 1 } }, thoughtSignature: 's1' }, { text: 'after' }],
      [{ text: '', thoughtSignature: 's2' }],
    ]);
    // No start event: an id is made up; no finish event: end_turn.
    expect(chunks[0]!.responseId).toMatch(/^resp_/);
    expect(chunks[2]!.candidates[0]!.finishReason).toBe('STOP');
  });

  it('round-trips thinking and signatures through its own decoder', () => {
    const events: IRStreamEvent[] = [
      { type: 'start', id: 'r', model: 'g' },
      { type: 'thinking', text: 'plan', signature: 'p' },
      { type: 'thinking', text: '', signature: 'fc' },
      { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"a":[1]}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 2, cachedInputTokens: 1 } },
    ];
    const encoder = geminiFormat.createStreamEncoder();
    const wire = [...events.flatMap((e) => encoder.encode(e)), ...encoder.end()];
    const decoder = geminiFormat.createStreamDecoder();
    expect(coalesce(wire.flatMap((w) => decoder.decode(toSse(w))))).toEqual(events);
  });

  it('fails with the Gemini error body and no finish chunk', () => {
    const encoder = geminiFormat.createStreamEncoder();
    encoder.encode({ type: 'start', id: 'x', model: 'm' });
    encoder.encode({ type: 'finish', stopReason: 'end_turn' });
    const body = { error: { code: 502, message: 'upstream cut', status: 'UNAVAILABLE' } };
    expect(encoder.fail('upstream cut')).toEqual([{ data: body }, { data: JSON.stringify(body), raw: true }]);
  });
});
