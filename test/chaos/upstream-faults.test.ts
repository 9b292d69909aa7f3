/**
 * Chaos 1 — upstream faults. 200 concurrent requests (OpenAI, Anthropic and Gemini clients,
 * stream and non-stream, raw fetch) against 2 providers x 2 keys while the mock injects 429s
 * with Retry-After, 500s, connection resets, slow answers and streams cut midway. Every request
 * must end in an outcome the contract allows: a success (through failover where needed), a 429
 * with Retry-After, a 502 listing the attempts, or a stream that ends with the client format's
 * error event — never a 500, never a hang, never a clean ending after a cut.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Format, FORMATS, type Outcome, bounded, errorMessage, isSuccessBody, percentile, prng, recordFigure, round, sendChat, tally } from '../helpers/chaos.js';
import { type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const KEYS = { oa0: 'sk-chaos-oa-0', oa1: 'sk-chaos-oa-1', an0: 'sk-chaos-an-0', an1: 'sk-chaos-an-1' } as const;
const REQUESTS = 200;
const TIMEOUT_MS = 20_000;

/**
 * Three groups of requests, each with the outcomes the contract allows for it:
 * - `chaos` (virtual model: oa/gpt-4.1, then an/claude-sonnet-4-6): faults on three keys of
 *   four, and an#0 (slow) always works, so it is served, or, for a stream whose upstream was cut
 *   after its first byte, ends with an error event.
 * - `mini` (oa/gpt-4.1-mini): oa#0 answers 429 (Retry-After 30), oa#1 answers 500: 502 listing the attempts.
 * - `haiku` (an/claude-haiku-4-5): both keys answer 429 with Retry-After 30: 429 with Retry-After.
 */
type Group = 'chaos' | 'mini' | 'haiku';
const MODEL: Record<Group, string> = { chaos: 'chaos', mini: 'gpt-4.1-mini', haiku: 'claude-haiku-4-5' };
const ALLOWED: Record<Group, readonly string[]> = {
  chaos: ['success', 'success-stream', 'stream-error-event'],
  mini: ['502'],
  haiku: ['429'],
};

let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    providers: [
      { name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: [KEYS.oa0, KEYS.oa1], models: ['gpt-4.1', 'gpt-4.1-mini'] },
      { name: 'an', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: [KEYS.an0, KEYS.an1], models: ['claude-sonnet-4-6', 'claude-haiku-4-5'] },
    ],
    models: { chaos: { primary: 'oa/gpt-4.1', fallbacks: ['an/claude-sonnet-4-6'] } },
    // No transient cooldown: a faulty key keeps being picked, so every fault keeps firing.
    retry: { requestRetry: 1, maxRetryInterval: '2s' },
    cooldown: { transientSeconds: 0 },
  });
  // The first matching fault applies, so model-specific faults come first.
  mock.fault({ model: 'gpt-4.1-mini', key: KEYS.oa0, kind: 'status', status: 429, retryAfter: '30' });
  mock.fault({ model: 'gpt-4.1-mini', key: KEYS.oa1, kind: 'status', status: 500 });
  mock.fault({ model: 'claude-haiku-4-5', key: KEYS.an0, kind: 'status', status: 429, retryAfter: '30' });
  mock.fault({ model: 'claude-haiku-4-5', key: KEYS.an1, kind: 'status', status: 429, retryAfter: '30' });
  mock.fault({ model: 'gpt-4.1', key: KEYS.oa0, kind: 'status', status: 429, retryAfter: '1', times: 40 });
  mock.fault({ model: 'gpt-4.1', key: KEYS.oa1, kind: 'status', status: 500, times: 25 });
  mock.fault({ model: 'gpt-4.1', key: KEYS.oa1, kind: 'reset', times: 25 });
  mock.fault({ key: KEYS.an0, kind: 'slow', delayMs: 60 });
  mock.fault({ key: KEYS.an1, kind: 'cut', afterChunks: 2 });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

/** The outcome kind of one answer, or `BAD: ...` when the contract does not allow it. */
function classify(o: Outcome): string {
  if (o.clientError) return `BAD: ${o.clientError}`;
  if (o.status === 200) {
    if (o.stream) {
      if (o.streamEnd === 'clean') return 'success-stream';
      if (o.streamEnd === 'error-event') return 'stream-error-event';
      return `BAD: stream ended ${o.streamEnd ?? 'as JSON'}`;
    }
    return isSuccessBody(o.format, o.text) ? 'success' : 'BAD: 200 without an answer';
  }
  const message = errorMessage(o.format, o.text, o.status);
  if (message === undefined) return `BAD: ${o.status} not in the ${o.format} error shape`;
  if (o.status === 429) return /^[1-9]\d*$/.test(o.headers.get('retry-after') ?? '') ? '429' : 'BAD: 429 without Retry-After';
  if (o.status === 502) return /upstream failed after \d+ attempts?: .*\S+\/\S+ via \S+#\d/.test(message) ? '502' : `BAD: 502 not listing attempts: ${message}`;
  return `BAD: status ${o.status}: ${message}`;
}

it('every request under upstream faults is served, or fails the way the contract says', { timeout: 60_000 }, async () => {
  const random = prng(1);
  const plan = Array.from({ length: REQUESTS }, (_, i) => {
    const group: Group = i % 8 === 6 ? 'mini' : i % 8 === 7 ? 'haiku' : 'chaos';
    return { group, format: FORMATS[i % 3] as Format, stream: random() < 0.5 };
  });
  const started = performance.now();
  // All at once: 200 requests in flight together.
  const outcomes = await bounded(REQUESTS, REQUESTS, (i) =>
    sendChat(host.url, { ...plan[i]!, model: MODEL[plan[i]!.group], text: 'one two three four five six seven eight', timeoutMs: TIMEOUT_MS }),
  );
  const durationS = (performance.now() - started) / 1000;

  const results = outcomes.map((o, i) => ({ ...plan[i]!, kind: classify(o), status: o.status, attempts: Number(o.headers.get('x-switchyard-attempts') ?? 0), credential: o.headers.get('x-switchyard-credential'), ms: o.ms }));
  const unexpected = results.filter((r) => !ALLOWED[r.group].includes(r.kind)).map((r) => `${r.group} ${r.format}${r.stream ? ' stream' : ''}: ${r.kind}`);

  // Upstream streams the mock cut on an#1 (it neither finished nor saw the client leave).
  const cutStreams = mock.requests.filter((r) => r.apiKey === KEYS.an1 && r.stream && r.model === 'claude-sonnet-4-6' && !r.finished && !r.aborted).length;
  const failovers = results.filter((r) => r.kind.startsWith('success') && r.attempts > 1).length;
  recordFigure('upstream-faults', {
    requests: REQUESTS,
    concurrency: REQUESTS,
    durationS: round(durationS, 2),
    outcomes: tally(results.map((r) => `${r.group}:${r.kind}`)),
    statuses: tally(results.map((r) => String(r.status))),
    servedAfterFailover: failovers,
    attemptsOfSuccesses: tally(results.filter((r) => r.kind.startsWith('success')).map((r) => `${r.attempts}`)),
    upstreamCalls: mock.requests.length,
    upstreamCallsPerKey: tally(mock.requests.map((r) => r.apiKey ?? 'none')),
    upstreamStreamsCut: cutStreams,
    servedBy: tally(results.filter((r) => r.kind !== '429' && r.kind !== '502').map((r) => `${r.kind}:${r.credential}`)),
    latencyMs: { p50: percentile(outcomes.map((o) => o.ms), 50), p99: percentile(outcomes.map((o) => o.ms), 99), max: percentile(outcomes.map((o) => o.ms), 100) },
  });

  expect(unexpected).toEqual([]);
  expect(results.filter((r) => r.status >= 500 && r.status !== 502)).toEqual([]);
  // The faults really were met: failovers happened and upstream streams were cut.
  expect(failovers).toBeGreaterThan(0);
  expect(cutStreams).toBeGreaterThan(0);
  // an#1 cuts every answer, so nothing it served may look complete: its streams end with the
  // error event (a cut before the first client byte fails over instead), its JSON never passes.
  const errorEvents = results.filter((r) => r.kind === 'stream-error-event');
  expect(errorEvents.length).toBeGreaterThan(0);
  expect(errorEvents.length).toBeLessThanOrEqual(cutStreams);
  expect(errorEvents.every((r) => r.credential === 'an#1')).toBe(true);
  expect(results.filter((r) => r.kind.startsWith('success') && r.credential === 'an#1')).toEqual([]);
});
