import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/registry.js';
import { CREDENTIAL_COOLDOWN_MS, NOT_FOUND_COOLDOWN_MS } from './failures.js';
import { cool, type Fixture, http, keyOf, network, provider, rejection, run, runtime, scripted, stateOf } from './harness.test-suite.js';

/** A provider `a` with three keys serving `m` (and `n` when asked), plus any config overrides. */
function threeKeys(overrides: Record<string, unknown> = {}, models: string[] = ['m']): Fixture {
  return runtime({ providers: [provider('a', 3, { models })], ...overrides });
}

/** Sequential runs of `model`, returning the credential that served each. */
async function served(fx: Fixture, model: string, attempt: ReturnType<typeof scripted>['attempt'], times: number, sessionId?: string) {
  const ids: string[] = [];
  for (let i = 0; i < times; i++) ids.push((await run(fx, model, attempt, { sessionId })).member.id);
  return ids;
}

describe('Conductor: strategies', () => {
  it('round-robin spreads consecutive requests over k0, k1, k2', async () => {
    const fx = threeKeys({ routing: { strategy: 'round-robin' } });
    const { attempt, calls } = scripted();
    expect(await served(fx, 'm', attempt, 7)).toEqual(['a#0', 'a#1', 'a#2', 'a#0', 'a#1', 'a#2', 'a#0']);
    expect(calls).toHaveLength(7);
  });

  it('fill-first always uses k0 while it succeeds', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt, calls } = scripted();
    expect(await served(fx, 'm', attempt, 5)).toEqual(['a#0', 'a#0', 'a#0', 'a#0', 'a#0']);
    expect(calls).toEqual(['a#0', 'a#0', 'a#0', 'a#0', 'a#0']);
  });

  it('weighted follows provider weights (2:1)', async () => {
    const fx = runtime({
      routing: { strategy: 'weighted' },
      providers: [provider('a', 1, { weight: 2 }), provider('b', 1, { weight: 1 })],
    });
    const { attempt } = scripted();
    const ids = await served(fx, 'm', attempt, 9);
    // Smooth weighted round-robin: interleaved, exactly 2:1 over every window of 3.
    expect(ids).toEqual(['a#0', 'b#0', 'a#0', 'a#0', 'b#0', 'a#0', 'a#0', 'b#0', 'a#0']);
  });
});

describe('Conductor: priority tiers', () => {
  // `a` comes first in pool order (more keys), but `z` has the higher priority.
  const tiers = () =>
    runtime({ routing: { strategy: 'round-robin' }, providers: [provider('a', 3, { priority: 0 }), provider('z', 2, { priority: 5 })] });

  it('uses the higher-priority provider first, spreading over its credentials only', async () => {
    const fx = tiers();
    expect(fx.rt.catalog.pool('m')!.members.map((m) => m.id)).toEqual(['a#0', 'a#1', 'a#2', 'z#0', 'z#1']);
    const { attempt } = scripted();
    expect(await served(fx, 'm', attempt, 4)).toEqual(['z#0', 'z#1', 'z#0', 'z#1']);
  });

  it('falls to the lower tier when every higher-priority credential is cooling', async () => {
    const fx = tiers();
    const { attempt, calls } = scripted({ 'z#0': http(429, '429 slow down', 60_000), 'z#1': http(429, '429 slow down', 60_000) });
    const first = await run(fx, 'm', attempt);
    expect(calls.slice(0, 2).sort()).toEqual(['z#0', 'z#1']);
    expect(first.member.provider).toBe('a');
    expect(first.attempts.map((a) => a.credentialId).sort()).toEqual(['z#0', 'z#1']);

    // Next request: the cooling tier is not even tried.
    calls.length = 0;
    const second = await run(fx, 'm', attempt);
    expect(second.member.provider).toBe('a');
    expect(calls).toEqual([second.member.id]);
  });

  it('returns to the higher tier once its cooldown is over', async () => {
    const fx = tiers();
    cool(fx, 'z#0', 'm', 60_000);
    cool(fx, 'z#1', 'm', 60_000);
    const { attempt } = scripted();
    expect((await run(fx, 'm', attempt)).member.provider).toBe('a');
    cool(fx, 'z#0', 'm', -1);
    expect((await run(fx, 'm', attempt)).member.id).toBe('z#0');
  });
});

describe('Conductor: failures inside one request', () => {
  it('a failed attempt moves to the next credential and the result lists the failed attempts', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt, calls } = scripted({ 'a#0': http(500, '500 boom'), 'a#1': network('ECONNRESET') });
    const result = await run(fx, 'm', attempt);
    expect(calls).toEqual(['a#0', 'a#1', 'a#2']);
    expect(result.value).toBe('a#2:m');
    expect(result.member.id).toBe('a#2');
    expect(result.attempts).toMatchObject([
      { provider: 'a', model: 'm', credentialId: 'a#0', status: 500, reason: '500 boom' },
      { provider: 'a', model: 'm', credentialId: 'a#1', status: undefined, reason: 'ECONNRESET' },
    ]);
    for (const a of result.attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);
  });

  it.each([400, 422])('a %i request error ends the run at once, passes the status on and records no cooldown', async (status) => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt, calls } = scripted({ 'a#0': http(status, `${status} messages[0].content: bad field`) });
    const err = await rejection(run(fx, 'm', attempt));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('upstream_request_error');
    expect(err.status).toBe(status);
    expect(err.message).toContain('bad field');
    expect(calls).toEqual(['a#0']);
    expect(stateOf(fx, 'a#0', 'm')).toBeUndefined();
    // The request was at fault, not the credential.
    expect(fx.store.counters(keyOf(fx.rt, 'a#0'))).toEqual({ successes: 0, failures: 0 });
    expect(fx.inFlight.size).toBe(0);
  });

  it('a 400 saying the model is not supported is not a request error: the credential is benched, the next one serves', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt, calls } = scripted({ 'a#0': http(400, "400 The model 'm' is not supported") });
    const result = await run(fx, 'm', attempt);
    expect(calls).toEqual(['a#0', 'a#1']);
    expect(result.member.id).toBe('a#1');
    expect(stateOf(fx, 'a#0', 'm')).toMatchObject({ reason: 'model_not_supported', status: 400 });
  });
});

describe('Conductor: cooldowns', () => {
  it('a 429 with retry hint cools exactly that (credential, model) until now + hint', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } }, ['m', 'n']);
    const { attempt, calls, script } = scripted({ 'a#0': http(429, '429 slow down', 2000) });
    const before = Date.now();
    const result = await run(fx, 'm', attempt);
    const after = Date.now();
    expect(result.member.id).toBe('a#1');
    const state = stateOf(fx, 'a#0', 'm')!;
    expect(state).toMatchObject({ reason: 'quota', status: 429, message: '429 slow down' });
    expect(state.until).toBeGreaterThanOrEqual(before + 2000);
    expect(state.until).toBeLessThanOrEqual(after + 2000);
    // Same credential, other model: untouched and still served by it.
    expect(stateOf(fx, 'a#0', 'n')).toBeUndefined();
    // Other credentials, same model: untouched.
    expect(stateOf(fx, 'a#1', 'm')).toBeUndefined();
    expect(stateOf(fx, 'a#2', 'm')).toBeUndefined();
    // a#0 answers again: it serves n at once (fill-first) ...
    delete script['a#0'];
    calls.length = 0;
    expect((await run(fx, 'n', attempt)).member.id).toBe('a#0');
    expect(calls).toEqual(['a#0']);
    // ... while requests for m skip it without trying it.
    calls.length = 0;
    expect((await run(fx, 'm', attempt)).member.id).toBe('a#1');
    expect(calls).toEqual(['a#1']);
  });

  it.each([
    [401, CREDENTIAL_COOLDOWN_MS, 'unauthorized', 30 * 60_000],
    [404, NOT_FOUND_COOLDOWN_MS, 'not_found', 12 * 3_600_000],
  ])('a %i cools the credential for the model for its fixed time', async (status, constant, reason, expectedMs) => {
    expect(constant).toBe(expectedMs);
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt } = scripted({ 'a#0': http(status) });
    expect(fx.rt.catalog.registry.availableCount('m')).toBe(3);
    const before = Date.now();
    const result = await run(fx, 'm', attempt);
    const after = Date.now();
    expect(result.member.id).toBe('a#1');
    const state = stateOf(fx, 'a#0', 'm')!;
    expect(state).toMatchObject({ reason, status });
    expect(state.until).toBeGreaterThanOrEqual(before + expectedMs);
    expect(state.until).toBeLessThanOrEqual(after + expectedMs);
    expect(fx.store.counters(keyOf(fx.rt, 'a#0'))).toEqual({ successes: 0, failures: 1 });
    // The registry takes the benched credential out of the model's available count.
    expect(fx.rt.catalog.registry.availableCount('m')).toBe(2);
  });

  it('a thrown plain object { status: 429, retryAfterMs: 1000 } (executor-plugin style) is treated like an upstream 429', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt, calls } = scripted({ 'a#0': { status: 429, retryAfterMs: 1000 } });
    const before = Date.now();
    const result = await run(fx, 'm', attempt);
    const after = Date.now();
    expect(calls).toEqual(['a#0', 'a#1']);
    expect(result.attempts).toMatchObject([{ credentialId: 'a#0', status: 429, reason: 'status 429' }]);
    const state = stateOf(fx, 'a#0', 'm')!;
    expect(state).toMatchObject({ reason: 'quota', status: 429, backoffLevel: 0 });
    expect(state.until).toBeGreaterThanOrEqual(before + 1000);
    expect(state.until).toBeLessThanOrEqual(after + 1000);
  });

  it('a thrown plain object with status 400 is a request error like an upstream 400', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt, calls } = scripted({ 'a#0': { status: 400, message: 'bad tool schema' } });
    const err = await rejection(run(fx, 'm', attempt));
    expect(err).toMatchObject({ code: 'upstream_request_error', status: 400 });
    expect(err.message).toContain('bad tool schema');
    expect(calls).toEqual(['a#0']);
  });

  it('when every credential is cooling beyond maxRetryInterval the run throws 429 model_cooldown with retry-after, making no attempt', async () => {
    const fx = threeKeys({ retry: { maxRetryInterval: '50ms' } });
    cool(fx, 'a#0', 'm', 20_000);
    const soonest = cool(fx, 'a#1', 'm', 10_000);
    cool(fx, 'a#2', 'm', 30_000, { reason: 'unauthorized', status: 401 });
    const { attempt, calls } = scripted();
    const started = Date.now();
    const err = await rejection(run(fx, 'm', attempt));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(calls).toEqual([]);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('model_cooldown');
    expect(err.status).toBe(429);
    expect(err.headers).toMatchObject({ 'retry-after': '10', 'x-should-retry': 'false' });
    expect(Number(err.headers!['retry-after-ms'])).toBeGreaterThan(9_000);
    expect(err.message).toContain('All credentials for model m are cooling down (a/m)');
    expect(err.message).toContain(new Date(soonest).toISOString());
  });
});

describe('Conductor: the registry sees the cooldowns the conductor sets', () => {
  it('a key benched by a 429 with Retry-After: 2 counts as available again the moment its cooldown ends', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt } = scripted({ 'a#0': http(429, '429 slow down', 2_000) });
    await run(fx, 'm', attempt);
    const { until } = stateOf(fx, 'a#0', 'm')!;
    const registry = fx.rt.catalog.registry;
    expect(registry.availableCount('m', until - 1)).toBe(2);
    expect(registry.view(until - 1)[0]).toMatchObject({ available: 2, quotaExceeded: ['a#0'], suspended: {} });
    expect(registry.availableCount('m', until)).toBe(3);
    expect(registry.view(until)[0]).toMatchObject({ available: 3, quotaExceeded: [], suspended: {} });
  });

  it('a model whose keys all answered 401 is hidden, and listed again once their cooldowns end, with no request in between', async () => {
    const fx = runtime({ routing: { strategy: 'fill-first' }, providers: [provider('a', 2)] });
    const { attempt } = scripted({ 'a#0': http(401), 'a#1': http(401) });
    await rejection(run(fx, 'm', attempt));
    const registry = fx.rt.catalog.registry;
    const [first, last] = [stateOf(fx, 'a#0', 'm')!.until, stateOf(fx, 'a#1', 'm')!.until];
    expect(registry.models(first - 1)).toEqual([]);
    expect(registry.view(first - 1)[0]).toMatchObject({ available: 0, suspended: { 'a#0': 'unauthorized', 'a#1': 'unauthorized' } });
    expect(registry.models(last)).toEqual([{ id: 'm', providers: ['a'], count: 2, available: 2 }]);
  });

  it('a model whose keys all wait for quota stays listed', async () => {
    const fx = runtime({ retry: { maxRetryInterval: '10ms' }, providers: [provider('a', 2)] });
    const { attempt } = scripted({ 'a#0': http(429, '429 slow down', 60_000), 'a#1': http(429, '429 slow down', 60_000) });
    await rejection(run(fx, 'm', attempt));
    const registry = fx.rt.catalog.registry;
    expect(registry.models()).toEqual([{ id: 'm', providers: ['a'], count: 2, available: 0 }]);
    expect(registry.view()[0]).toMatchObject({ quotaExceeded: ['a#0', 'a#1'], suspended: {} });
  });
});

describe('Conductor: retry rounds', () => {
  it('with transientSeconds 0 and requestRetry 2, a credential that always fails 500 is attempted 3 times', async () => {
    const fx = runtime({ providers: [provider('a', 1)], cooldown: { transientSeconds: 0 }, retry: { requestRetry: 2, maxRetryInterval: '50ms' } });
    const { attempt, calls } = scripted({ 'a#0': http(500) });
    const err = await rejection(run(fx, 'm', attempt));
    expect(calls).toEqual(['a#0', 'a#0', 'a#0']);
    expect(err).toMatchObject({ code: 'upstream_failed', status: 502 });
    expect(err.message).toMatch(/^upstream failed after 3 attempts: /);
    expect(stateOf(fx, 'a#0', 'm')).toBeUndefined();
    expect(fx.store.counters(keyOf(fx.rt, 'a#0'))).toEqual({ successes: 0, failures: 3 });
  });

  it('with requestRetry 0 it is attempted once', async () => {
    const fx = runtime({ providers: [provider('a', 1)], cooldown: { transientSeconds: 0 }, retry: { requestRetry: 0, maxRetryInterval: '50ms' } });
    const { attempt, calls } = scripted({ 'a#0': http(500) });
    const err = await rejection(run(fx, 'm', attempt));
    expect(calls).toEqual(['a#0']);
    expect(err.message).toMatch(/^upstream failed after 1 attempt: /);
  });

  it('a later round succeeds when the failure was transient', async () => {
    const fx = runtime({ providers: [provider('a', 1)], cooldown: { transientSeconds: 0 }, retry: { requestRetry: 2, maxRetryInterval: '50ms' } });
    const { attempt, calls } = scripted({ 'a#0': [http(503), 'ok'] });
    const result = await run(fx, 'm', attempt);
    expect(calls).toEqual(['a#0', 'a#0']);
    expect(result.attempts).toMatchObject([{ credentialId: 'a#0', status: 503 }]);
  });

  it('maxRetryCredentials 1: only one credential is tried per round', async () => {
    const base = { providers: [provider('a', 3)], cooldown: { transientSeconds: 0 } };
    const once = runtime({ ...base, retry: { requestRetry: 0, maxRetryCredentials: 1, maxRetryInterval: '50ms' } });
    const s1 = scripted({ 'a#0': http(500), 'a#1': http(500), 'a#2': http(500) });
    expect((await rejection(run(once, 'm', s1.attempt))).status).toBe(502);
    expect(s1.calls).toEqual(['a#0']);

    const rounds = runtime({ ...base, retry: { requestRetry: 2, maxRetryCredentials: 1, maxRetryInterval: '50ms' } });
    const s3 = scripted({ 'a#0': http(500), 'a#1': http(500), 'a#2': http(500) });
    expect((await rejection(run(rounds, 'm', s3.attempt))).message).toMatch(/after 3 attempts/);
    // One per round, the round-robin moving on each time.
    expect(s3.calls).toEqual(['a#0', 'a#1', 'a#2']);
  });

  it('a retry budget spent while other keys are ready is a 502, not an all-cooling 429', async () => {
    const fx = runtime({ providers: [provider('a', 3)], retry: { requestRetry: 0, maxRetryCredentials: 1, maxRetryInterval: '50ms' } });
    const { attempt, calls } = scripted({ 'a#0': http(429, 'slow down', 60_000) });
    const err = await rejection(run(fx, 'm', attempt));
    expect(calls).toEqual(['a#0']);
    expect(err).toMatchObject({ code: 'upstream_failed', status: 502 });
  });

  it('waits for a cooldown within maxRetryInterval, then succeeds', async () => {
    const fx = runtime({ providers: [provider('a', 1)], retry: { maxRetryInterval: '2s' } });
    cool(fx, 'a#0', 'm', 100);
    const { attempt, calls } = scripted();
    const started = performance.now();
    const result = await run(fx, 'm', attempt);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(1000);
    expect(calls).toEqual(['a#0']);
    expect(result.member.id).toBe('a#0');
    expect(result.attempts).toEqual([]);
  });

  it('a 502 after exhaustion lists every attempt (provider/model via id: reason)', async () => {
    const fx = runtime({
      routing: { strategy: 'fill-first' },
      retry: { requestRetry: 0 },
      providers: [provider('a', 2), provider('b', 1)],
    });
    const { attempt, calls } = scripted({ 'a#0': http(500, '500 boom'), 'a#1': network('ECONNRESET'), 'b#0': http(401, '401 invalid api key') });
    const err = await rejection(run(fx, 'm', attempt));
    expect(calls).toEqual(['a#0', 'a#1', 'b#0']);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'upstream_failed', status: 502 });
    expect(err.message).toMatch(
      /^upstream failed after 3 attempts: a\/m via a#0: 500 boom \(\d+ms\); a\/m via a#1: ECONNRESET \(\d+ms\); b\/m via b#0: 401 invalid api key \(\d+ms\)$/,
    );
  });
});

describe('Conductor: success bookkeeping', () => {
  it("a success clears the credential's cooldown for that model and counts a success", async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } }, ['m', 'n']);
    // Over, but still stored (with its backoff level): only a success clears it.
    cool(fx, 'a#0', 'm', -1, { backoffLevel: 4 });
    cool(fx, 'a#0', 'n', -1, { backoffLevel: 2 });
    const { attempt } = scripted();
    const result = await run(fx, 'm', attempt);
    expect(result.member.id).toBe('a#0');
    expect(stateOf(fx, 'a#0', 'm')).toBeUndefined();
    expect(stateOf(fx, 'a#0', 'n')).toMatchObject({ backoffLevel: 2 });
    expect(fx.store.counters(keyOf(fx.rt, 'a#0'))).toEqual({ successes: 1, failures: 0 });
  });

  it('counts failures and successes per credential', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const { attempt } = scripted({ 'a#0': http(500) });
    await run(fx, 'm', attempt);
    expect(fx.store.counters(keyOf(fx.rt, 'a#0'))).toEqual({ successes: 0, failures: 1 });
    expect(fx.store.counters(keyOf(fx.rt, 'a#1'))).toEqual({ successes: 1, failures: 0 });
    expect(fx.store.counters(keyOf(fx.rt, 'a#2'))).toEqual({ successes: 0, failures: 0 });
  });

  it('counts a request in flight per credential only while its attempt runs', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const seen: Record<string, number>[] = [];
    const attempt = async (member: { id: string }) => {
      seen.push(Object.fromEntries(fx.inFlight));
      if (member.id === 'a#0') throw http(500);
      return 'ok';
    };
    await run(fx, 'm', attempt);
    expect(seen).toEqual([{ [keyOf(fx.rt, 'a#0')]: 1 }, { [keyOf(fx.rt, 'a#1')]: 1 }]);
    expect(fx.inFlight.size).toBe(0);
  });
});

describe('Conductor: session affinity', () => {
  it('the same session keeps its credential under round-robin, and rebinds when that credential fails', async () => {
    const fx = threeKeys({ routing: { strategy: 'round-robin', sessionAffinity: true }, cooldown: { transientSeconds: 0 } });
    const { attempt, calls, script } = scripted();
    expect(await served(fx, 'm', attempt, 1, 's1')).toEqual(['a#0']);
    expect(await served(fx, 'm', attempt, 1, 's2')).toEqual(['a#1']);
    expect(await served(fx, 'm', attempt, 1)).toEqual(['a#2']);
    expect(await served(fx, 'm', attempt, 3, 's1')).toEqual(['a#0', 'a#0', 'a#0']);
    expect(await served(fx, 'm', attempt, 2, 's2')).toEqual(['a#1', 'a#1']);

    script['a#0'] = http(500);
    calls.length = 0;
    const rebound = await run(fx, 'm', attempt, { sessionId: 's1' });
    expect(calls[0]).toBe('a#0');
    expect(rebound.member.id).not.toBe('a#0');
    expect(rebound.attempts).toMatchObject([{ credentialId: 'a#0', status: 500 }]);

    // a#0 works again (and, with transientSeconds 0, is not cooling), but s1 stays on its new credential.
    delete script['a#0'];
    calls.length = 0;
    expect(await served(fx, 'm', attempt, 3, 's1')).toEqual([rebound.member.id, rebound.member.id, rebound.member.id]);
    expect(calls).toEqual([rebound.member.id, rebound.member.id, rebound.member.id]);
  });

  it('without sessionAffinity the session id is ignored', async () => {
    const fx = threeKeys({ routing: { strategy: 'round-robin', sessionAffinity: false } });
    const { attempt } = scripted();
    expect(await served(fx, 'm', attempt, 3, 's1')).toEqual(['a#0', 'a#1', 'a#2']);
  });
});

describe('Conductor: abort', () => {
  it('an already aborted signal stops the run with its reason before any attempt', async () => {
    const fx = threeKeys();
    const controller = new AbortController();
    const reason = new Error('client closed the connection');
    controller.abort(reason);
    const { attempt, calls } = scripted();
    await expect(run(fx, 'm', attempt, { signal: controller.signal })).rejects.toBe(reason);
    expect(calls).toEqual([]);
  });

  it('an abort during an attempt stops the run with the signal reason and records no cooldown', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const controller = new AbortController();
    const reason = new Error('client closed the connection');
    const calls: string[] = [];
    const attempt = async (member: { id: string }): Promise<string> => {
      calls.push(member.id);
      controller.abort(reason);
      // As sendUpstream does: an aborted call rethrows the signal's reason.
      throw controller.signal.reason;
    };
    await expect(run(fx, 'm', attempt, { signal: controller.signal })).rejects.toBe(reason);
    expect(calls).toEqual(['a#0']);
    expect(stateOf(fx, 'a#0', 'm')).toBeUndefined();
    expect(fx.store.counters(keyOf(fx.rt, 'a#0'))).toEqual({ successes: 0, failures: 0 });
    expect(fx.inFlight.size).toBe(0);
  });

  it('an abort during an attempt that fails like an upstream error still records no cooldown', async () => {
    const fx = threeKeys({ routing: { strategy: 'fill-first' } });
    const controller = new AbortController();
    const failure = http(429, '429 slow down', 60_000);
    const attempt = async (): Promise<string> => {
      controller.abort(new Error('gone'));
      throw failure;
    };
    await expect(run(fx, 'm', attempt, { signal: controller.signal })).rejects.toBe(failure);
    expect(stateOf(fx, 'a#0', 'm')).toBeUndefined();
  });

  it('an abort while waiting for a cooldown stops the wait at once, with the signal reason and no attempt', async () => {
    const fx = runtime({ providers: [provider('a', 1)], retry: { maxRetryInterval: '10s' } });
    cool(fx, 'a#0', 'm', 5_000);
    const controller = new AbortController();
    const reason = new Error('client closed the connection');
    setTimeout(() => controller.abort(reason), 30);
    const { attempt, calls } = scripted();
    const started = Date.now();
    const err = await rejection(run(fx, 'm', attempt, { signal: controller.signal }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls).toEqual([]);
    expect(err).toBe(reason);
  });
});
