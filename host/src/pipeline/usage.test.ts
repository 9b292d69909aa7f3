import { describe, expect, it } from 'vitest';
import { FORMATS } from '../formats/index.js';
import { JsonBody } from '../formats/json-body.js';
import { objectAfterKey, usageOfBody } from './usage.js';

describe('objectAfterKey', () => {
  it('finds the last key that is a key, stepping over strings', () => {
    const text = '{"content":"say \\"usage\\": {\\"x\\":1}","usage":{"prompt_tokens":3,"note":"a } b { c","completion_tokens":4},"tail":1}';
    expect(JSON.parse(objectAfterKey(text, 'usage')!)).toEqual({ prompt_tokens: 3, note: 'a } b { c', completion_tokens: 4 });
  });

  it('answers undefined for a missing key, a null value or a cut object', () => {
    expect(objectAfterKey('{"a":1}', 'usage')).toBeUndefined();
    expect(objectAfterKey('{"usage":null}', 'usage')).toBeUndefined();
    expect(objectAfterKey('{"usage":{"a":1', 'usage')).toBeUndefined();
  });
});

describe('usageOfBody', () => {
  it('reads each format from its text, unparsed, and from a value alike', () => {
    const bodies = {
      openai: { usage: { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 2 } } },
      'openai-responses': { usage: { input_tokens: 10, output_tokens: 5, input_tokens_details: { cached_tokens: 2 } } },
      anthropic: { usage: { input_tokens: 8, cache_read_input_tokens: 2, output_tokens: 5 } },
      gemini: { usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, cachedContentTokenCount: 2 } },
    };
    for (const [name, value] of Object.entries(bodies)) {
      const format = FORMATS[name as keyof typeof FORMATS];
      const expected = { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 };
      const text = JsonBody.fromText(JSON.stringify({ id: 'x', ...value }));
      expect(usageOfBody(format, text), name).toEqual(expected);
      expect(text.hasValue, `${name}: the text was not parsed`).toBe(false);
      expect(usageOfBody(format, JsonBody.fromValue(value)), name).toEqual(expected);
    }
  });

  it('counts garbage as nothing, never as NaN', () => {
    expect(usageOfBody(FORMATS.openai, JsonBody.fromText('{"usage":{"prompt_tokens":"many","completion_tokens":-3}}'))).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(usageOfBody(FORMATS.openai, JsonBody.fromText('{"usage":7}'))).toBeUndefined();
  });
});
