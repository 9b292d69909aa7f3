/** Anthropic `thinking` <-> IR reasoning, and the setting applied to a Messages body. */
import { describe, expect, it } from 'vitest';
import { expectInvalidBody, reasoningRequest } from '../contract.test-suite.js';
import type { IRReasoning, IRRequest } from '../ir.js';
import { anthropicFormat as codec } from './index.js';

const body = (extra: Record<string, unknown>) => ({ model: 'claude-sonnet-4-6', max_tokens: 32000, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('anthropic thinking: decoding', () => {
  it.each<[unknown, IRReasoning]>([
    [{ type: 'enabled', budget_tokens: 10000 }, { mode: 'budget', budget: 10000 }],
    [{ type: 'enabled', budget_tokens: 0 }, { mode: 'off' }],
    [{ type: 'disabled' }, { mode: 'off' }],
    [{ type: 'adaptive' }, { mode: 'auto' }],
  ])('decodes %j as %j, not unmapped', (thinking, reasoning) => {
    const { request, unmapped } = codec.decodeRequest(body({ thinking }), {});
    expect(request.reasoning).toEqual(reasoning);
    expect(unmapped).toEqual([]);
  });

  it('reports a thinking type it does not know, and fields of thinking it does not map', () => {
    const unknown = codec.decodeRequest(body({ thinking: { type: 'deliberate', depth: 3 } }), {});
    expect(unknown.request.reasoning).toBeUndefined();
    expect(unknown.unmapped).toEqual(['thinking.type=deliberate']);
    const display = codec.decodeRequest(body({ thinking: { type: 'adaptive', display: 'summarized' } }), {});
    expect(display.request.reasoning).toEqual({ mode: 'auto' });
    expect(display.unmapped).toEqual(['thinking.display']);
  });

  it('rejects enabled thinking without an integer budget, naming the field', () => {
    expectInvalidBody(codec, body({ thinking: { type: 'enabled' } }), 'thinking.budget_tokens');
    expectInvalidBody(codec, body({ thinking: { type: 'enabled', budget_tokens: 'lots' } }), 'thinking.budget_tokens');
    expectInvalidBody(codec, body({ thinking: { type: 'enabled', budget_tokens: -5 } }), 'thinking.budget_tokens');
  });
});

describe('anthropic thinking: encoding', () => {
  const encode = (reasoning: IRReasoning, extra: Partial<IRRequest> = {}) => codec.encodeRequest({ ...reasoningRequest(reasoning), ...extra });

  it('writes a budget as enabled thinking, adding the budget to max_tokens when max_tokens does not exceed it', () => {
    expect(encode({ mode: 'budget', budget: 8192 }).body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 8192 }, max_tokens: 8192 + 256 });
    expect(encode({ mode: 'budget', budget: 8192 }, { maxTokens: 8192 }).body.max_tokens).toBe(16384);
    expect(encode({ mode: 'budget', budget: 8192 }, { maxTokens: 8193 }).body.max_tokens).toBe(8193);
    // No max_tokens from the client: the default answer room (4096) on top of the budget.
    expect(encode({ mode: 'budget', budget: 8192 }, { maxTokens: undefined }).body.max_tokens).toBe(8192 + 4096);
  });

  it('raises a budget under the API minimum to 1024, and writes a level as its budget by the table', () => {
    expect(encode({ mode: 'budget', budget: 300 }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(encode({ mode: 'level', level: 'minimal' }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(encode({ mode: 'level', level: 'medium' }).body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(encode({ mode: 'level', level: 'high' }).body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 24576 }, max_tokens: 24576 + 256 });
  });

  it('writes off as disabled and auto as adaptive, max_tokens as asked', () => {
    expect(encode({ mode: 'off' }).body).toMatchObject({ thinking: { type: 'disabled' }, max_tokens: 256 });
    expect(encode({ mode: 'auto' }).body).toMatchObject({ thinking: { type: 'adaptive' }, max_tokens: 256 });
  });

  it('keeps max_tokens above budget_tokens for every budget', () => {
    for (const budget of [1, 1023, 1024, 5000, 24576, 64000]) {
      for (const maxTokens of [1, 256, budget, budget + 1, 100_000]) {
        const out = encode({ mode: 'budget', budget }, { maxTokens }).body as { max_tokens: number; thinking: { budget_tokens: number } };
        expect(out.thinking.budget_tokens).toBeGreaterThanOrEqual(1024);
        expect(out.max_tokens).toBeGreaterThan(out.thinking.budget_tokens);
      }
    }
  });

  it('removes, and reports, the sampling settings the API refuses beside thinking; keeps those it allows', () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const refused = encode({ mode: 'auto' }, { temperature: 0.3, topP: 0.9, topK: 5, tools, toolChoice: { type: 'tool', name: 'f' } });
    expect(refused.body).not.toHaveProperty('temperature');
    expect(refused.body).not.toHaveProperty('top_p');
    expect(refused.body).not.toHaveProperty('top_k');
    expect(refused.body).not.toHaveProperty('tool_choice');
    expect(refused.dropped.sort()).toEqual(['temperature', 'toolChoice', 'topK', 'topP']);
    const allowed = encode({ mode: 'budget', budget: 2048 }, { temperature: 1, topP: 0.95, tools, toolChoice: { type: 'auto' } });
    expect(allowed.body).toMatchObject({ temperature: 1, top_p: 0.95, tool_choice: { type: 'auto' } });
    expect(allowed.dropped).toEqual([]);
    // Thinking off refuses nothing.
    const off = encode({ mode: 'off' }, { temperature: 0.3, topK: 5 });
    expect(off.body).toMatchObject({ temperature: 0.3, top_k: 5 });
    expect(off.dropped).toEqual([]);
  });
});

describe('anthropic applyReasoning', () => {
  it('replaces the body\'s own thinking (a suffix wins), keeping its other thinking fields and the rest of the body', () => {
    const original = body({ thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' }, max_tokens: 4096, service_tier: 'auto' });
    const snapshot = structuredClone(original);
    const applied = codec.applyReasoning(original, { mode: 'level', level: 'high' });
    expect(applied).toEqual({ ...original, thinking: { type: 'enabled', budget_tokens: 24576, display: 'omitted' }, max_tokens: 24576 + 4096 });
    expect(original).toEqual(snapshot);
    expect(codec.applyReasoning(original, { mode: 'auto' }).thinking).toEqual({ type: 'adaptive', display: 'omitted' });
    expect(codec.applyReasoning(original, { mode: 'off' })).toEqual({ ...original, thinking: { type: 'disabled' } });
  });

  it('gives the same body when applied twice (the host may encode a setting, then apply it)', () => {
    const original = body({ max_tokens: 500, temperature: 0.2, top_k: 3 });
    for (const reasoning of [{ mode: 'budget', budget: 3000 }, { mode: 'auto' }, { mode: 'off' }] as IRReasoning[]) {
      const once = codec.applyReasoning(original, reasoning);
      expect(codec.applyReasoning(once, reasoning)).toEqual(once);
    }
    expect(codec.applyReasoning(original, { mode: 'budget', budget: 3000 })).toEqual({
      model: 'claude-sonnet-4-6', max_tokens: 3500, messages: original.messages, thinking: { type: 'enabled', budget_tokens: 3000 },
    });
  });

  it('takes max_tokens as 4096 when a body has none', () => {
    const { max_tokens: _, ...noMax } = body({});
    expect(codec.applyReasoning(noMax, { mode: 'budget', budget: 5000 }).max_tokens).toBe(9096);
  });

  it('leaves thinking out of a tool loop whose last assistant turn has no thinking block, and allows it when it has one', () => {
    const loop = (assistant: unknown[]) => body({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: assistant },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
      ],
    });
    const call = { type: 'tool_use', id: 't1', name: 'f', input: {} };
    expect(codec.applyReasoning(loop([call]), { mode: 'level', level: 'low' })).not.toHaveProperty('thinking');
    expect(codec.applyReasoning(loop([call]), { mode: 'off' }).thinking).toEqual({ type: 'disabled' });
    const signed = loop([{ type: 'thinking', thinking: 'plan', signature: 's' }, call]);
    expect(codec.applyReasoning(signed, { mode: 'level', level: 'low' }).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    const redacted = loop([{ type: 'redacted_thinking', data: 'x' }, call]);
    expect(codec.applyReasoning(redacted, { mode: 'auto' }).thinking).toEqual({ type: 'adaptive' });
  });
});
