/**
 * The format-independent "model" of the mock: each format module reduces its request to a
 * {@link Conversation}, and {@link answer} picks the same deterministic reply for all three, so
 * a test can predict what the gateway gets back whatever translation sits in between.
 *
 * @module
 */

import type { MockFormat } from './types.js';

/** What the reply rules need to know about a request. */
export interface Conversation {
  /** SYS: the system prompt text ('' when none). */
  system: string;
  /** The text of every non-system message (tool results included), for token counting. */
  texts: string[];
  /** LAST: the text of the last user turn. */
  lastUser: string;
  /** The tool result text when the last turn answers a tool call. */
  toolResult: string | undefined;
  /** The name of the first declared tool, if any. */
  firstTool: string | undefined;
}

/** The mock model's answer: some text, or one call of a tool with JSON-text arguments. */
export type Answer = { kind: 'text'; text: string } | { kind: 'tool'; name: string; args: string };

/** An answer with the token counts every format reports. */
export interface Outcome {
  answer: Answer;
  inputTokens: number;
  outputTokens: number;
}

/** Whitespace-separated words in `text`; the mock's stand-in for tokens. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Input tokens: words of the system prompt and all messages, at least 1. */
export function inputTokens(conv: Conversation): number {
  return Math.max(1, [conv.system, ...conv.texts].reduce((n, t) => n + countWords(t), 0));
}

/**
 * Applies the reply rules: call the first tool with `{"query": LAST}` unless the last turn is a
 * tool result; echo a tool result; otherwise echo LAST tagged with format and model.
 */
export function answer(format: MockFormat, model: string, conv: Conversation): Outcome {
  const input = inputTokens(conv);
  if (conv.firstTool !== undefined && conv.toolResult === undefined) {
    const args = JSON.stringify({ query: conv.lastUser });
    return { answer: { kind: 'tool', name: conv.firstTool, args }, inputTokens: input, outputTokens: 1 };
  }
  const text =
    conv.toolResult !== undefined ? `tool result: ${conv.toolResult}` : `[${format}:${model}] ${conv.lastUser}`;
  return { answer: { kind: 'text', text }, inputTokens: input, outputTokens: countWords(text) };
}

/** Splits text into one-word chunks that keep their trailing whitespace, so they concatenate back. */
export function wordChunks(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/);
}

/** Splits a string in two non-empty pieces (when it has two characters) for streamed arguments. */
export function halves(s: string): [string, string] {
  const mid = Math.ceil(s.length / 2);
  return [s.slice(0, mid), s.slice(mid)];
}

/**
 * The text of message content in any of the three formats: a string as is, or the `text` of
 * every text part concatenated (OpenAI/Anthropic `{type:'text'}`, Gemini `{text}`); other parts
 * (images, tool calls) carry no text.
 */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p) => typeof p?.text === 'string' && (p.type === undefined || p.type === 'text'))
    .map((p) => p.text as string)
    .join('');
}

/** A human name derived from a model id: `claude-sonnet-4-6` becomes `Claude Sonnet 4.6`. */
export function displayName(id: string): string {
  const words: string[] = [];
  for (const part of id.split('-')) {
    const prev = words.at(-1);
    // Consecutive numeric parts are one version number in ids like `claude-haiku-4-5`.
    if (/^\d+$/.test(part) && prev !== undefined && /^\d+(\.\d+)*$/.test(prev)) words[words.length - 1] = `${prev}.${part}`;
    else words.push(part.charAt(0).toUpperCase() + part.slice(1));
  }
  return words.join(' ');
}

/** Reads `value` as an array, treating anything else as empty, so malformed bodies do not throw. */
export function arr(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}
