import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/registry.js';
import { resolveChain } from './chain.js';
import { cool, http, provider, rejection, run, runtime, scripted, stateOf } from './conductor/harness.test-suite.js';
import type { Pool } from './conductor/pool.js';

const ids = (pool: Pool) => pool.members.map((m) => m.id);

function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected a throw');
}

describe('resolveChain: plain and qualified names', () => {
  it('a plain model name resolves to one pool with every credential of every provider serving it, providers by count desc then name', () => {
    const { rt } = runtime({
      providers: [
        provider('a', 1),
        provider('c', 2),
        provider('b', 2),
        provider('d', 4, { models: ['other'] }),
      ],
    });
    const chain = resolveChain(rt.catalog, rt.config.models, 'm');
    expect(chain).toHaveLength(1);
    const [pool] = chain;
    expect(pool!.key).toBe('m');
    expect(pool!.label).toBe('m');
    expect(ids(pool!)).toEqual(['b#0', 'b#1', 'c#0', 'c#1', 'a#0']);
    expect(pool!.members.every((m) => m.model === 'm' && m.registered === 'm')).toBe(true);
    expect(pool!.members.map((m) => m.provider)).toEqual(['b', 'b', 'c', 'c', 'a']);
  });

  it('a model served by one provider is labelled provider/model', () => {
    const { rt } = runtime({ providers: [provider('a', 2), provider('b', 1, { models: ['n'] })] });
    const [pool] = resolveChain(rt.catalog, rt.config.models, 'n');
    expect(pool!.label).toBe('b/n');
    expect(ids(pool!)).toEqual(['b#0']);
  });

  it('a provider-qualified name resolves to that provider only', () => {
    const { rt } = runtime({ providers: [provider('a', 2), provider('b', 3)] });
    const chain = resolveChain(rt.catalog, rt.config.models, 'a/m');
    expect(chain).toHaveLength(1);
    expect(chain[0]).toMatchObject({ key: 'a/m', label: 'a/m' });
    expect(ids(chain[0]!)).toEqual(['a#0', 'a#1']);
    expect(chain[0]!.members.every((m) => m.model === 'm' && m.registered === 'm')).toBe(true);
  });

  it('a provider-qualified name reaches a model the provider does not list', () => {
    const { rt } = runtime({ providers: [provider('a', 2), provider('b', 1)] });
    const [pool] = resolveChain(rt.catalog, rt.config.models, 'a/unlisted-model');
    expect(pool).toMatchObject({ key: 'a/unlisted-model', label: 'a/unlisted-model' });
    expect(ids(pool!)).toEqual(['a#0', 'a#1']);
    expect(pool!.members.every((m) => m.model === 'unlisted-model' && m.registered === 'a/unlisted-model')).toBe(true);
  });

  it("aliases: a model listed as { name: 'gpt-x', alias: 'smart' } is served by name 'smart' with member.model 'gpt-x'", () => {
    const { rt } = runtime({ providers: [provider('a', 2, { models: [{ name: 'gpt-x', alias: 'smart' }] })] });
    const [pool] = resolveChain(rt.catalog, rt.config.models, 'smart');
    expect(pool!.key).toBe('smart');
    expect(ids(pool!)).toEqual(['a#0', 'a#1']);
    expect(pool!.members.every((m) => m.model === 'gpt-x' && m.registered === 'smart')).toBe(true);
    // Qualified by provider, the alias resolves the same way.
    const [qualified] = resolveChain(rt.catalog, rt.config.models, 'a/smart');
    expect(qualified!.members.every((m) => m.model === 'gpt-x' && m.registered === 'smart')).toBe(true);
  });

  it('excludedModels with a wildcard hide a model from a provider', () => {
    const { rt } = runtime({
      providers: [
        provider('a', 1, { models: ['m', 'm-preview'], excludedModels: ['*-preview'] }),
        provider('b', 1, { models: ['m', 'm-preview'] }),
        provider('c', 1, { models: ['x-preview'], excludedModels: ['x-*'] }),
      ],
    });
    expect(resolveChain(rt.catalog, rt.config.models, 'm')[0]!.members.map((m) => m.id)).toEqual(['a#0', 'b#0']);
    expect(resolveChain(rt.catalog, rt.config.models, 'm-preview')[0]!.members.map((m) => m.id)).toEqual(['b#0']);
    // Not even a qualified name reaches an excluded model.
    expect(thrown(() => resolveChain(rt.catalog, rt.config.models, 'a/m-preview'))).toMatchObject({ code: 'model_not_found', status: 404 });
    // A model only an excluding provider lists is unknown.
    expect(thrown(() => resolveChain(rt.catalog, rt.config.models, 'x-preview'))).toMatchObject({ code: 'model_not_found', status: 404 });
  });
});

describe('resolveChain: virtual models', () => {
  it('a virtual model resolves to primary then fallbacks in order', () => {
    const { rt } = runtime({
      providers: [provider('a', 2), provider('b', 1), provider('c', 1, { models: ['big'] })],
      models: { v: { primary: 'c/big', fallbacks: ['b/m', 'a/m'] } },
    });
    const chain = resolveChain(rt.catalog, rt.config.models, 'v');
    expect(chain.map((p) => p.label)).toEqual(['c/big', 'b/m', 'a/m']);
    expect(chain.map(ids)).toEqual([['c#0'], ['b#0'], ['a#0', 'a#1']]);
  });

  it('deduplicates: a fallback naming the same provider/model as the primary adds nothing', () => {
    const { rt } = runtime({
      providers: [provider('a', 2), provider('b', 1), provider('c', 1)],
      models: { v: { primary: 'a/m', fallbacks: ['a/m', 'b/m', 'm'] } },
    });
    const chain = resolveChain(rt.catalog, rt.config.models, 'v');
    // The repeated a/m adds no pool; the plain 'm' pool keeps only the credential not reached before.
    expect(chain.map((p) => p.label)).toEqual(['a/m', 'b/m', 'm']);
    expect(chain.map(ids)).toEqual([['a#0', 'a#1'], ['b#0'], ['c#0']]);
  });

  it('skips a candidate nothing serves', () => {
    const { rt } = runtime({ providers: [provider('a', 1)], models: { v: { primary: 'nowhere', fallbacks: ['a/m'] } } });
    expect(resolveChain(rt.catalog, rt.config.models, 'v').map((p) => p.label)).toEqual(['a/m']);
  });
});

describe('resolveChain: errors', () => {
  it('an unknown model is a 404 model_not_found', () => {
    const { rt } = runtime({ providers: [provider('a', 1)] });
    for (const name of ['nope', 'zz/m', 'a/']) {
      const err = thrown(() => resolveChain(rt.catalog, rt.config.models, name));
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ code: 'model_not_found', status: 404 });
    }
  });

  it('a provider with no apiKeys is a 503 no_provider (qualified name or virtual model)', () => {
    const { rt } = runtime({
      providers: [provider('a', 0), provider('b', 1, { models: ['n'] })],
      models: { v: { primary: 'a/m' } },
    });
    for (const name of ['a/m', 'v']) {
      const err = thrown(() => resolveChain(rt.catalog, rt.config.models, name));
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ code: 'no_provider', status: 503 });
    }
  });

  it('a plain name listed only by a provider without apiKeys is known but unservable: 503 no_provider', () => {
    const { rt } = runtime({ providers: [provider('a', 0)] });
    expect(thrown(() => resolveChain(rt.catalog, rt.config.models, 'm'))).toMatchObject({ code: 'no_provider', status: 503 });
  });
});

describe('nested virtual models', () => {
  it('expand a virtual candidate in place, and skip a cycle', () => {
    const { rt } = runtime({
      providers: [provider('a', 1), provider('b', 1), provider('c', 1)],
      models: { outer: { primary: 'a/m', fallbacks: ['inner'] }, inner: { primary: 'b/m', fallbacks: ['outer', 'c/m'] } },
    });
    expect(resolveChain(rt.catalog, rt.config.models, 'outer').map((p) => p.label)).toEqual(['a/m', 'b/m', 'c/m']);
  });
});

describe('fallback chain through the conductor', () => {
  const fallbackRuntime = (overrides: Record<string, unknown> = {}) =>
    runtime({
      routing: { strategy: 'fill-first' },
      providers: [provider('a', 2), provider('b', 1)],
      models: { v: { primary: 'a/m', fallbacks: ['b/m'] } },
      retry: { maxRetryInterval: '50ms' },
      ...overrides,
    });

  it('a failing primary (500) falls back to the next candidate', async () => {
    const fx = fallbackRuntime();
    const { attempt, calls } = scripted({ 'a#0': http(500), 'a#1': http(503) });
    const result = await run(fx, 'v', attempt);
    expect(calls).toEqual(['a#0', 'a#1', 'b#0']);
    expect(result.member).toMatchObject({ id: 'b#0', provider: 'b', model: 'm' });
    expect(result.value).toBe('b#0:m');
    expect(result.attempts).toMatchObject([
      { credentialId: 'a#0', status: 500 },
      { credentialId: 'a#1', status: 503 },
    ]);
  });

  it('a 400 on the primary ends the chain with no fallback', async () => {
    const fx = fallbackRuntime();
    const { attempt, calls } = scripted({ 'a#0': http(400, '400 invalid tools') });
    const err = await rejection(run(fx, 'v', attempt));
    expect(err).toMatchObject({ code: 'upstream_request_error', status: 400 });
    expect(calls).toEqual(['a#0']);
  });

  it('a primary whose every credential is cooling is skipped without an attempt', async () => {
    const fx = fallbackRuntime();
    cool(fx, 'a#0', 'm', 60_000);
    cool(fx, 'a#1', 'm', 60_000, { reason: 'unauthorized', status: 401 });
    const { attempt, calls } = scripted();
    const result = await run(fx, 'v', attempt);
    expect(calls).toEqual(['b#0']);
    expect(result.member.id).toBe('b#0');
    expect(result.attempts).toEqual([]);
  });

  it('a skipped primary is named in the 502 when the fallback fails too', async () => {
    const fx = fallbackRuntime({ retry: { requestRetry: 0 } });
    cool(fx, 'a#0', 'm', 60_000);
    cool(fx, 'a#1', 'm', 60_000);
    const { attempt } = scripted({ 'b#0': http(500, '500 boom') });
    const err = await rejection(run(fx, 'v', attempt));
    expect(err).toMatchObject({ code: 'upstream_failed', status: 502 });
    expect(err.message).toMatch(/^upstream failed after 1 attempt: b\/m via b#0: 500 boom \(\d+ms\); a\/m: skipped, every credential cooling down$/);
  });

  it('all candidates cooling -> 429 model_cooldown naming every candidate', async () => {
    const fx = fallbackRuntime();
    cool(fx, 'a#0', 'm', 60_000);
    cool(fx, 'a#1', 'm', 60_000);
    cool(fx, 'b#0', 'm', 5_000);
    const { attempt, calls } = scripted();
    const err = await rejection(run(fx, 'v', attempt));
    expect(calls).toEqual([]);
    expect(err).toMatchObject({ code: 'model_cooldown', status: 429, headers: { 'retry-after': '5' } });
    expect(err.message).toContain('All credentials for model v are cooling down (a/m, b/m)');
  });

  it('429s across the whole chain end in 429 model_cooldown, with every credential cooled', async () => {
    const fx = fallbackRuntime();
    const { attempt, calls } = scripted({
      'a#0': http(429, '429 slow down', 2000),
      'a#1': http(429, '429 slow down', 3000),
      'b#0': http(429, '429 slow down', 4000),
    });
    const err = await rejection(run(fx, 'v', attempt));
    expect(calls).toEqual(['a#0', 'a#1', 'b#0']);
    expect(err).toMatchObject({ code: 'model_cooldown', status: 429, headers: { 'retry-after': '2' } });
    for (const id of ['a#0', 'a#1', 'b#0']) expect(stateOf(fx, id, 'm')).toMatchObject({ reason: 'quota' });
  });
});
