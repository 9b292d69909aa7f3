/** OpenAI Chat `reasoning_effort` <-> IR reasoning, and the setting applied to an OpenAI body. */
import { describe, expect, it } from 'vitest';
import { expectInvalidBody, reasoningRequest } from '../contract.test-suite.js';
import type { IRReasoning } from '../ir.js';
import { openaiFormat as codec } from './index.js';

const body = (extra: Record<string, unknown>): Record<string, unknown> => ({ model: 'o3', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('openai reasoning_effort', () => {
  it.each<[string, IRReasoning]>([
    ['none', { mode: 'off' }],
    ['minimal', { mode: 'level', level: 'minimal' }],
    ['low', { mode: 'level', level: 'low' }],
    ['medium', { mode: 'level', level: 'medium' }],
    ['high', { mode: 'level', level: 'high' }],
  ])('decodes %s as %j, not unmapped', (effort, reasoning) => {
    const { request, unmapped } = codec.decodeRequest(body({ reasoning_effort: effort }), {});
    expect(request.reasoning).toEqual(reasoning);
    expect(unmapped).toEqual([]);
  });

  it('reports an effort outside the table unmapped, and reads null as unset', () => {
    const xhigh = codec.decodeRequest(body({ reasoning_effort: 'xhigh' }), {});
    expect(xhigh.request.reasoning).toBeUndefined();
    expect(xhigh.unmapped).toEqual(['reasoning_effort']);
    const unset = codec.decodeRequest(body({ reasoning_effort: null }), {});
    expect(unset.request.reasoning).toBeUndefined();
    expect(unset.unmapped).toEqual([]);
  });

  it('rejects a reasoning_effort that is not a string, naming it', () => {
    expectInvalidBody(codec, body({ reasoning_effort: 3 }), 'reasoning_effort');
  });

  it.each<[IRReasoning, string | undefined]>([
    [{ mode: 'level', level: 'minimal' }, 'minimal'],
    [{ mode: 'level', level: 'high' }, 'high'],
    [{ mode: 'budget', budget: 100 }, 'minimal'],
    [{ mode: 'budget', budget: 1024 }, 'low'],
    [{ mode: 'budget', budget: 8191 }, 'low'],
    [{ mode: 'budget', budget: 8192 }, 'medium'],
    [{ mode: 'budget', budget: 30000 }, 'high'],
    [{ mode: 'off' }, 'none'],
    [{ mode: 'auto' }, undefined],
  ])('encodes %j as reasoning_effort %s', (reasoning, effort) => {
    const { body: encoded, dropped } = codec.encodeRequest(reasoningRequest(reasoning));
    expect(encoded.reasoning_effort).toBe(effort);
    expect('reasoning_effort' in encoded).toBe(effort !== undefined);
    expect(dropped).toEqual([]);
  });

  it('applies a setting over the body\'s own effort, keeping every other field (a suffix wins)', () => {
    const original = body({ reasoning_effort: 'low', response_format: { type: 'json_object' }, temperature: 1 });
    expect(codec.applyReasoning(original, { mode: 'budget', budget: 24576 })).toEqual({ ...original, reasoning_effort: 'high' });
    expect(codec.applyReasoning(original, { mode: 'off' })).toEqual({ ...original, reasoning_effort: 'none' });
    const { reasoning_effort: _, ...withoutEffort } = original;
    expect(codec.applyReasoning(original, { mode: 'auto' })).toEqual(withoutEffort);
    expect(original.reasoning_effort).toBe('low');
  });
});
