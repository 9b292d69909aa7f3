/**
 * Shared pieces of the chaos suite (test/chaos): raw-fetch requests in each client format,
 * classification of what came back (JSON answer, error shape, stream ending), bounded
 * concurrency, memory samples, a seeded PRNG, and the figure writer every scenario reports to.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CLIENT_KEY } from './host.js';

export type Format = 'openai' | 'anthropic' | 'gemini';
export const FORMATS: readonly Format[] = ['openai', 'anthropic', 'gemini'];

/** Where figures land: `$TMPDIR/switchyard-chaos/<scenario>.json`. */
export const FIGURES_DIR = join(tmpdir(), 'switchyard-chaos');

/**
 * Records a scenario's figures: written to {@link FIGURES_DIR} and printed on one line
 * (`[chaos] <scenario> {...}`), so docs/RELIABILITY.md can quote them.
 */
export function recordFigure(scenario: string, figures: Record<string, unknown>): void {
  const data = { scenario, at: new Date().toISOString(), node: process.version, ...figures };
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(join(FIGURES_DIR, `${scenario}.json`), `${JSON.stringify(data, null, 2)}\n`);
  console.log(`[chaos] ${scenario} ${JSON.stringify(data)}`);
}

/** Runs `fn(0..count-1)` with at most `concurrency` calls in flight; results in index order. */
export async function bounded<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** mulberry32: a small deterministic PRNG, so generated cases are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Counts occurrences of each key. */
export function tally(keys: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------------------------------------
// Requests

/** The auth headers each format's SDK sends. */
export function authHeaders(format: Format, key = CLIENT_KEY): Record<string, string> {
  switch (format) {
    case 'openai':
      return { authorization: `Bearer ${key}` };
    case 'anthropic':
      return { 'x-api-key': key, 'anthropic-version': '2023-06-01' };
    case 'gemini':
      return { 'x-goog-api-key': key };
  }
}

/** Path and JSON body of a chat request in `format`. */
export function chatRequest(format: Format, model: string, stream: boolean, text: string): { path: string; body: Record<string, unknown> } {
  const messages = [{ role: 'user', content: text }];
  switch (format) {
    case 'openai':
      return { path: '/v1/chat/completions', body: { model, stream, messages } };
    case 'anthropic':
      return { path: '/v1/messages', body: { model, stream, max_tokens: 64, messages } };
    case 'gemini':
      return {
        path: `/v1beta/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        body: { contents: [{ role: 'user', parts: [{ text }] }] },
      };
  }
}

export interface ChatCall {
  format: Format;
  model: string;
  stream: boolean;
  text?: string;
  key?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Client-side deadline; a request past it counts as `timeout`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What one request came back with, read to the end. */
export interface Outcome {
  format: Format;
  stream: boolean;
  /** 0 when no response arrived (`clientError` says why). */
  status: number;
  headers: Headers;
  /** The body text ('' when none). */
  text: string;
  ms: number;
  /** A stream (text/event-stream answer): how it ended. */
  streamEnd?: StreamEnd;
  /** The request failed on the client side: `timeout` or the fetch error's message. */
  clientError?: string;
}

export type StreamEnd = 'clean' | 'error-event' | 'both' | 'none';

/** Sends a chat request with raw fetch and reads the whole answer. */
export async function sendChat(url: string, call: ChatCall): Promise<Outcome> {
  const { path, body } = chatRequest(call.format, call.model, call.stream, call.text ?? 'hi');
  const signals = [AbortSignal.timeout(call.timeoutMs ?? 30_000), ...(call.signal ? [call.signal] : [])];
  const started = performance.now();
  const outcome: Outcome = { format: call.format, stream: call.stream, status: 0, headers: new Headers(), text: '', ms: 0 };
  try {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(call.format, call.key), ...call.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    outcome.status = res.status;
    outcome.headers = res.headers;
    outcome.text = await res.text();
    if (/text\/event-stream/.test(res.headers.get('content-type') ?? '')) outcome.streamEnd = streamEnd(call.format, outcome.text);
  } catch (err) {
    const e = err as Error & { cause?: Error };
    outcome.clientError = e.name === 'TimeoutError' ? 'timeout' : `${e.name}: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}`;
  }
  outcome.ms = performance.now() - started;
  return outcome;
}

const CLEAN_END: Record<Format, RegExp> = {
  openai: /^data: \[DONE\]$/m,
  anthropic: /^event: message_stop$/m,
  gemini: /"finishReason"/,
};
const ERROR_EVENT: Record<Format, RegExp> = {
  openai: /^data: \{"error":\{"message":/m,
  anthropic: /^event: error\ndata: \{"type":"error","error":\{"type":"\w+","message":/m,
  gemini: /^data: \{"error":\{"code":\d+,"message":/m,
};

/** How an SSE answer in `format` ended: its clean ending, its error event, both (a bug) or neither (a bug). */
export function streamEnd(format: Format, text: string): StreamEnd {
  const clean = CLEAN_END[format].test(text);
  const error = ERROR_EVENT[format].test(text);
  return clean && error ? 'both' : clean ? 'clean' : error ? 'error-event' : 'none';
}

/** Whether `text` is a successful non-stream answer in `format`. */
export function isSuccessBody(format: Format, text: string): boolean {
  const json = parse(text);
  if (!json) return false;
  switch (format) {
    case 'openai':
      return typeof json.choices?.[0]?.message?.content === 'string';
    case 'anthropic':
      return json.type === 'message' && Array.isArray(json.content);
    case 'gemini':
      return Array.isArray(json.candidates?.[0]?.content?.parts);
  }
}

/**
 * The error message when `text` is an error in `format`'s own shape with `status`, else
 * undefined. OpenAI `{"error":{"message","type",...}}`, Anthropic
 * `{"type":"error","error":{"type","message"}}`, Gemini `{"error":{"code","message","status"}}`.
 */
export function errorMessage(format: Format, text: string, status: number): string | undefined {
  const json = parse(text);
  if (!json || typeof json.error !== 'object' || json.error === null) return undefined;
  const e = json.error;
  switch (format) {
    case 'openai':
      return typeof e.message === 'string' && typeof e.type === 'string' && json.type === undefined ? e.message : undefined;
    case 'anthropic':
      return json.type === 'error' && typeof e.type === 'string' && typeof e.message === 'string' ? e.message : undefined;
    case 'gemini':
      return e.code === status && typeof e.message === 'string' && typeof e.status === 'string' ? e.message : undefined;
  }
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

export interface MemorySample {
  /** Seconds since the scenario started. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
}

export function memory(since = 0): MemorySample {
  const m = process.memoryUsage();
  return { t: round((performance.now() - since) / 1000), rssMb: round(m.rss / 2 ** 20), heapUsedMb: round(m.heapUsed / 2 ** 20) };
}

let gcFunction: (() => void) | undefined | null = null;

/**
 * Runs a full garbage collection when one can be had: `global.gc` if the process has it, else
 * the one a fresh V8 context exposes after `--expose-gc` is set at run time (the way Jest's
 * `--detectLeaks` gets it). Returns false when neither works, and then memory figures include
 * garbage not collected yet.
 */
export function collectGarbage(): boolean {
  if (gcFunction === null) {
    gcFunction = (globalThis as { gc?: () => void }).gc;
    if (!gcFunction) {
      try {
        setFlagsFromString('--expose-gc');
        gcFunction = runInNewContext('gc') as () => void;
      } catch {
        gcFunction = undefined;
      }
    }
  }
  if (!gcFunction) return false;
  gcFunction();
  gcFunction();
  return true;
}

/**
 * Lets the process settle for `ms` (timers firing, sockets closing), then collects garbage
 * (see {@link collectGarbage}) and samples memory. Without a collection it returns the lowest
 * heapUsed seen while settling, which still counts garbage V8 had no reason to collect yet.
 */
export async function settledMemory(ms: number, since = 0): Promise<MemorySample & { gc: boolean }> {
  const deadline = performance.now() + ms;
  let low = memory(since);
  while (performance.now() < deadline) {
    await sleep(50);
    const m = memory(since);
    if (m.heapUsedMb < low.heapUsedMb) low = { ...m };
  }
  const gc = collectGarbage();
  const now = memory(since);
  return { ...now, heapUsedMb: gc ? now.heapUsedMb : Math.min(low.heapUsedMb, now.heapUsedMb), gc };
}
