/**
 * The one level<->budget table for reasoning, and the conversions every format uses. The table
 * is documented in `docs/thinking.md`; keep the two in step.
 *
 * | level     | budget (tokens) | a budget reads as this level |
 * |-----------|-----------------|------------------------------|
 * | `none`    | 0               | 0                            |
 * | `minimal` | 512             | 1 to 1023                    |
 * | `low`     | 1024            | 1024 to 8191                 |
 * | `medium`  | 8192            | 8192 to 24575                |
 * | `high`    | 24576           | 24576 and more               |
 * | `auto`    | -1              | -1 (any negative)            |
 *
 * A budget reads as the nearest level at or below it (budgets under `minimal`'s 512 still mean
 * reasoning on, so they read as `minimal`). Conversions happen only between a level and a
 * budget: a budget going to an upstream that takes budgets stays the same number, and a level
 * going to one that takes levels stays the same word.
 *
 * @module
 */
import type { IRReasoning, ReasoningLevel } from './ir.js';

/** The levels, least reasoning first. */
export const REASONING_LEVELS = ['minimal', 'low', 'medium', 'high'] as const satisfies readonly ReasoningLevel[];

/** The budget each level stands for, in tokens. */
export const LEVEL_BUDGETS: Readonly<Record<ReasoningLevel, number>> = {
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
};

/** The budget that means "no reasoning" (Gemini `thinkingBudget: 0`, suffix `(0)`). */
export const OFF_BUDGET = 0;
/** The budget that means "the upstream's dynamic default" (Gemini `thinkingBudget: -1`, suffix `(-1)`). */
export const AUTO_BUDGET = -1;

export function isReasoningLevel(word: string): word is ReasoningLevel {
  return (REASONING_LEVELS as readonly string[]).includes(word);
}

/** The level a positive budget reads as: the nearest level at or below it, `minimal` under 512. */
export function budgetLevel(budget: number): ReasoningLevel {
  let level: ReasoningLevel = 'minimal';
  for (const candidate of REASONING_LEVELS) if (budget >= LEVEL_BUDGETS[candidate]) level = candidate;
  return level;
}

/** A budget as the client spelled it: 0 is off, a negative one (Gemini's -1) is auto. */
export function reasoningFromBudget(budget: number): IRReasoning {
  if (budget === OFF_BUDGET) return { mode: 'off' };
  if (budget < 0) return { mode: 'auto' };
  return { mode: 'budget', budget };
}

/**
 * A reasoning word: a level, `none` (off) or `auto`, case-insensitive. Undefined for any other
 * word. The thinking suffix, OpenAI's `reasoning_effort` and Gemini's `thinkingLevel` read
 * through it.
 */
export function reasoningFromWord(word: string): IRReasoning | undefined {
  const lower = word.toLowerCase();
  if (lower === 'none') return { mode: 'off' };
  if (lower === 'auto') return { mode: 'auto' };
  return isReasoningLevel(lower) ? { mode: 'level', level: lower } : undefined;
}

/**
 * The setting in budget terms, for an upstream that takes a budget: a budget as it is, a level
 * by the table, off as 0 and auto as -1.
 */
export function reasoningBudget(reasoning: IRReasoning): number {
  switch (reasoning.mode) {
    case 'budget': return reasoning.budget;
    case 'level': return LEVEL_BUDGETS[reasoning.level];
    case 'off': return OFF_BUDGET;
    case 'auto': return AUTO_BUDGET;
  }
}

/**
 * The setting in level terms, for an upstream that takes a level: a level as it is, a budget by
 * the table, off as `none`; `auto` stays `auto` (an upstream without it leaves its default).
 */
export function reasoningEffort(reasoning: IRReasoning): ReasoningLevel | 'none' | 'auto' {
  switch (reasoning.mode) {
    case 'budget': return budgetLevel(reasoning.budget);
    case 'level': return reasoning.level;
    case 'off': return 'none';
    case 'auto': return 'auto';
  }
}
