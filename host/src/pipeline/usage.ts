/**
 * Token usage of served answers, for the usage ledger and the trace. A translated answer is an
 * object already; a same-format answer passes through as the upstream's text and is never
 * parsed, so its usage object alone is cut out of the text and parsed (formats put it at the
 * end, where a search from the end finds it at once).
 *
 * @module
 */
import type { IRUsage } from '../formats/ir.js';
import type { JsonBody } from '../formats/json-body.js';
import type { WireFormat } from '../formats/wire-format.js';

/** The usage a JSON answer in `format` reports, or undefined when it reports none. */
export function usageOfBody(format: WireFormat, body: JsonBody): IRUsage | undefined {
  let value: unknown;
  if (body.hasValue) value = (body.value as Record<string, unknown> | null)?.[format.usageField];
  else {
    const slice = objectAfterKey(body.text, format.usageField);
    if (slice === undefined) return undefined;
    try {
      value = JSON.parse(slice);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  return clean(format.decodeUsage(value));
}

/** Counts as the ledger takes them: whole, non-negative numbers (an upstream may send anything). */
function clean(usage: IRUsage): IRUsage {
  const out: IRUsage = { inputTokens: count(usage.inputTokens), outputTokens: count(usage.outputTokens) };
  if (usage.cachedInputTokens !== undefined) out.cachedInputTokens = count(usage.cachedInputTokens);
  return out;
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * The text of the object that is the value of the last `"key"` in `text`, or undefined. A `"key"`
 * inside a string value is escaped (`\"key\"`) and is skipped; strings inside the object are
 * stepped over, so braces in them do not count.
 */
export function objectAfterKey(text: string, key: string): string | undefined {
  const needle = `"${key}"`;
  let at = text.length;
  for (;;) {
    at = text.lastIndexOf(needle, at - 1);
    if (at < 0) return undefined;
    if (text.charCodeAt(at - 1) !== 92 /* \ */) break;
  }
  let i = at + needle.length;
  while (i < text.length && (text[i] === ' ' || text[i] === ':' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  if (text[i] !== '{') return undefined;
  const start = i;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */ && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}
