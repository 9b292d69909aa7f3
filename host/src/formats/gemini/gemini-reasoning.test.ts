/** Gemini `generationConfig.thinkingConfig` <-> IR reasoning, and the setting applied to a Gemini body. */
import { describe, expect, it } from 'vitest';
import { expectInvalidBody, reasoningRequest } from '../contract.test-suite.js';
import type { IRReasoning } from '../ir.js';
import { geminiFormat as codec } from './index.js';

const contents = [{ role: 'user', parts: [{ text: 'hi' }] }];
const decode = (body: unknown) => codec.decodeRequest(body, { model: 'gemini-2.5-pro' });

describe('gemini thinkingConfig: decoding', () => {
  it.each<[Record<string, unknown>, IRReasoning]>([
    [{ thinkingBudget: 4096 }, { mode: 'budget', budget: 4096 }],
    [{ thinkingBudget: 0 }, { mode: 'off' }],
    [{ thinkingBudget: -1 }, { mode: 'auto' }],
    [{ thinkingLevel: 'low' }, { mode: 'level', level: 'low' }],
    [{ thinkingLevel: 'HIGH' }, { mode: 'level', level: 'high' }],
    [{ thinking_level: 'MINIMAL' }, { mode: 'level', level: 'minimal' }],
    [{ thinking_budget: 100 }, { mode: 'budget', budget: 100 }],
  ])('decodes %j as %j, not unmapped', (thinkingConfig, reasoning) => {
    const { request, unmapped } = decode({ contents, generationConfig: { thinkingConfig } });
    expect(request.reasoning).toEqual(reasoning);
    expect(unmapped).toEqual([]);
  });

  it('reads the snake_case spelling of the containers too', () => {
    const { request, unmapped } = decode({ contents, generation_config: { thinking_config: { thinking_budget: 512, include_thoughts: true } } });
    expect(request.reasoning).toEqual({ mode: 'budget', budget: 512 });
    expect(unmapped).toEqual(['generation_config.thinking_config.include_thoughts']);
  });

  it('reports includeThoughts, an unknown level, and a level beside a budget as unmapped', () => {
    const thoughts = decode({ contents, generationConfig: { thinkingConfig: { includeThoughts: true } } });
    expect(thoughts.request.reasoning).toBeUndefined();
    expect(thoughts.unmapped).toEqual(['generationConfig.thinkingConfig.includeThoughts']);
    const unknown = decode({ contents, generationConfig: { thinkingConfig: { thinkingLevel: 'ultra' } } });
    expect(unknown.request.reasoning).toBeUndefined();
    expect(unknown.unmapped).toEqual(['generationConfig.thinkingConfig.thinkingLevel']);
    const both = decode({ contents, generationConfig: { thinkingConfig: { thinkingBudget: 2000, thinkingLevel: 'high' } } });
    expect(both.request.reasoning).toEqual({ mode: 'budget', budget: 2000 });
    expect(both.unmapped).toEqual(['generationConfig.thinkingConfig.thinkingLevel']);
  });

  it('reads an unspecified level as no setting, with nothing lost', () => {
    const { request, unmapped } = decode({ contents, generationConfig: { thinkingConfig: { thinkingLevel: 'THINKING_LEVEL_UNSPECIFIED' } } });
    expect(request.reasoning).toBeUndefined();
    expect(unmapped).toEqual([]);
  });

  it('rejects a budget that is not an integer of -1 or more, naming it', () => {
    expectInvalidBody(codec, { contents, generationConfig: { thinkingConfig: { thinkingBudget: -2 } } }, 'generationConfig.thinkingConfig.thinkingBudget', { model: 'm' });
    expectInvalidBody(codec, { contents, generationConfig: { thinkingConfig: { thinkingBudget: 'big' } } }, 'generationConfig.thinkingConfig.thinkingBudget', { model: 'm' });
  });
});

describe('gemini thinkingConfig: encoding', () => {
  it.each<[IRReasoning, number]>([
    [{ mode: 'budget', budget: 8192 }, 8192],
    [{ mode: 'budget', budget: 300 }, 300],
    [{ mode: 'level', level: 'minimal' }, 512],
    [{ mode: 'level', level: 'high' }, 24576],
    [{ mode: 'off' }, 0],
    [{ mode: 'auto' }, -1],
  ])('encodes %j as thinkingBudget %i beside the other generation settings', (reasoning, thinkingBudget) => {
    const { body, dropped } = codec.encodeRequest(reasoningRequest(reasoning));
    expect(body.generationConfig).toEqual({ maxOutputTokens: 256, thinkingConfig: { thinkingBudget } });
    expect(dropped).toEqual([]);
  });
});

describe('gemini applyReasoning', () => {
  it('replaces the body\'s budget or level (a suffix wins), keeping includeThoughts and the rest', () => {
    const original = {
      contents,
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
      generationConfig: { temperature: 0.3, thinkingConfig: { thinkingLevel: 'low', includeThoughts: true } },
    };
    const snapshot = structuredClone(original);
    expect(codec.applyReasoning(original, { mode: 'budget', budget: 8192 })).toEqual({
      ...original,
      generationConfig: { temperature: 0.3, thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 } },
    });
    expect(original).toEqual(snapshot);
  });

  it('adds the containers a body lacks', () => {
    expect(codec.applyReasoning({ contents }, { mode: 'auto' })).toEqual({ contents, generationConfig: { thinkingConfig: { thinkingBudget: -1 } } });
  });

  it('writes into the snake_case containers a body uses, replacing both spellings of the budget and level', () => {
    const original = { contents, generation_config: { max_output_tokens: 9, thinking_config: { thinking_budget: 100, thinking_level: 'low', include_thoughts: false } } };
    expect(codec.applyReasoning(original, { mode: 'off' })).toEqual({
      contents,
      generation_config: { max_output_tokens: 9, thinking_config: { include_thoughts: false, thinkingBudget: 0 } },
    });
  });
});
