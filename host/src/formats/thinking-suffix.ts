/**
 * The thinking suffix of a model name: `model(8192)`, `model(high)`, `model(none)` ... asks for
 * a reasoning setting on any model name (registry model, `provider/model`, alias or virtual
 * model). The host strips it before resolving the model and applies the setting to the
 * upstream body in the upstream's own terms (`WireFormat.applyReasoning`).
 *
 * Grammar of the suffix, at the very end of the name after a non-empty base:
 *
 * - `(N)`: a budget of N tokens, N an integer of 1 to 9 digits; `(0)` is off
 * - `(minimal)`, `(low)`, `(medium)`, `(high)`: an effort level
 * - `(none)`: off; `(auto)` or `(-1)`: the upstream's dynamic default
 *
 * Words are case-insensitive. Anything else (`model()`, `model(beta)`, `model(1)x`, `(high)`)
 * is not a suffix: the name is returned as it is.
 *
 * @module
 */
import type { IRReasoning } from './ir.js';
import { AUTO_BUDGET, reasoningFromBudget, reasoningFromWord } from './reasoning.js';

/** A name split into the model and the setting its suffix asks for. */
export interface ModelSuffix {
  /** The name without the suffix; the whole name when it has none. */
  model: string;
  /** The setting the suffix asks for; absent when the name has no valid suffix. */
  reasoning?: IRReasoning;
}

/** The last parenthesised group at the end of the name, after a non-empty base. */
const SUFFIX = /^(.+)\(([^()]*)\)$/;
const BUDGET = /^(?:\d{1,9}|-1)$/;

/** Splits a model name into the model and the reasoning its thinking suffix asks for. */
export function parseModelSuffix(name: string): ModelSuffix {
  const match = SUFFIX.exec(name);
  if (!match) return { model: name };
  const [, model, value] = match as unknown as [string, string, string];
  const reasoning = BUDGET.test(value)
    ? reasoningFromBudget(value === '-1' ? AUTO_BUDGET : Number(value))
    : reasoningFromWord(value);
  return reasoning ? { model, reasoning } : { model: name };
}
