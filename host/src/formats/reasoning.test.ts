/** The level<->budget table and the thinking suffix of model names. */
import { describe, expect, it } from 'vitest';
import type { IRReasoning } from './ir.js';
import {
  budgetLevel, isReasoningLevel, LEVEL_BUDGETS, REASONING_LEVELS, reasoningBudget, reasoningEffort, reasoningFromBudget, reasoningFromWord,
} from './reasoning.js';
import { parseModelSuffix } from './thinking-suffix.js';

describe('the level<->budget table', () => {
  it('gives each level its budget, growing with the level', () => {
    expect(LEVEL_BUDGETS).toEqual({ minimal: 512, low: 1024, medium: 8192, high: 24576 });
    const budgets = REASONING_LEVELS.map((level) => LEVEL_BUDGETS[level]);
    expect([...budgets].sort((a, b) => a - b)).toEqual(budgets);
  });

  it.each([
    [1, 'minimal'], [511, 'minimal'], [512, 'minimal'], [1023, 'minimal'],
    [1024, 'low'], [8191, 'low'],
    [8192, 'medium'], [24575, 'medium'],
    [24576, 'high'], [1_000_000, 'high'],
  ] as const)('reads a budget of %i as %s (the nearest level at or below)', (budget, level) => {
    expect(budgetLevel(budget)).toBe(level);
  });

  it('reads every level back from its own budget', () => {
    for (const level of REASONING_LEVELS) expect(budgetLevel(LEVEL_BUDGETS[level])).toBe(level);
  });

  it('reads budgets: 0 off, -1 (any negative) auto, others a budget', () => {
    expect(reasoningFromBudget(0)).toEqual({ mode: 'off' });
    expect(reasoningFromBudget(-1)).toEqual({ mode: 'auto' });
    expect(reasoningFromBudget(-7)).toEqual({ mode: 'auto' });
    expect(reasoningFromBudget(700)).toEqual({ mode: 'budget', budget: 700 });
  });

  it('reads words, case-insensitive: levels, none and auto, nothing else', () => {
    for (const level of REASONING_LEVELS) expect(reasoningFromWord(level)).toEqual({ mode: 'level', level });
    expect(reasoningFromWord('HIGH')).toEqual({ mode: 'level', level: 'high' });
    expect(reasoningFromWord('none')).toEqual({ mode: 'off' });
    expect(reasoningFromWord('Auto')).toEqual({ mode: 'auto' });
    for (const word of ['xhigh', 'max', '', 'off', '8192']) expect(reasoningFromWord(word)).toBeUndefined();
    expect(isReasoningLevel('medium')).toBe(true);
    expect(isReasoningLevel('none')).toBe(false);
  });

  it.each<[IRReasoning, number, string]>([
    [{ mode: 'budget', budget: 3000 }, 3000, 'low'],
    [{ mode: 'level', level: 'medium' }, 8192, 'medium'],
    [{ mode: 'level', level: 'minimal' }, 512, 'minimal'],
    [{ mode: 'off' }, 0, 'none'],
    [{ mode: 'auto' }, -1, 'auto'],
  ])('says %j as budget %i and as effort %s, converting only between a level and a budget', (reasoning, budget, effort) => {
    expect(reasoningBudget(reasoning)).toBe(budget);
    expect(reasoningEffort(reasoning)).toBe(effort);
  });
});

describe('parseModelSuffix', () => {
  it.each<[string, string, IRReasoning]>([
    ['gemini-2.5-pro(8192)', 'gemini-2.5-pro', { mode: 'budget', budget: 8192 }],
    ['claude-sonnet-4-6(1)', 'claude-sonnet-4-6', { mode: 'budget', budget: 1 }],
    ['m(999999999)', 'm', { mode: 'budget', budget: 999_999_999 }],
    ['gpt-5(minimal)', 'gpt-5', { mode: 'level', level: 'minimal' }],
    ['gpt-5(low)', 'gpt-5', { mode: 'level', level: 'low' }],
    ['gpt-5(medium)', 'gpt-5', { mode: 'level', level: 'medium' }],
    ['gpt-5(high)', 'gpt-5', { mode: 'level', level: 'high' }],
    ['gpt-5(HIGH)', 'gpt-5', { mode: 'level', level: 'high' }],
    ['gpt-5(none)', 'gpt-5', { mode: 'off' }],
    ['gpt-5(0)', 'gpt-5', { mode: 'off' }],
    ['gemini-2.5-flash(auto)', 'gemini-2.5-flash', { mode: 'auto' }],
    ['gemini-2.5-flash(-1)', 'gemini-2.5-flash', { mode: 'auto' }],
    // Provider-qualified names, aliases and virtual models: the suffix is on the whole name.
    ['openai/gpt-4.1(high)', 'openai/gpt-4.1', { mode: 'level', level: 'high' }],
    ['smart-openai(2048)', 'smart-openai', { mode: 'budget', budget: 2048 }],
    ['models/gemini-2.5-pro(none)', 'models/gemini-2.5-pro', { mode: 'off' }],
    // Only the last group is a suffix; what precedes it is the model.
    ['odd(name)(low)', 'odd(name)', { mode: 'level', level: 'low' }],
  ])('splits %s into %s and %j', (name, model, reasoning) => {
    expect(parseModelSuffix(name)).toEqual({ model, reasoning });
  });

  it.each([
    'gpt-4.1', '', 'gpt-4.1()', 'gpt-4.1(beta)', 'gpt-4.1(xhigh)', 'gpt-4.1(-2)', 'gpt-4.1(1.5)', 'gpt-4.1(1e3)',
    'gpt-4.1( high)', 'gpt-4.1(high )', 'gpt-4.1(1234567890)', 'gpt-4.1(high)x', 'gpt-4.1(high', 'gpt-4.1high)',
    '(high)', '(8192)', 'm(a(b))', 'm((high))', 'my (preview) model',
  ])('leaves %j as it is: not a valid suffix', (name) => {
    expect(parseModelSuffix(name)).toEqual({ model: name });
  });
});
