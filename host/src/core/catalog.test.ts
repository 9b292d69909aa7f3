/**
 * What CLIProxyAPI users configure per key and per alias: each key's own settings, alias pools,
 * exclusions matched case-insensitively against names and aliases, per-credential listings, and
 * a pool cache that client-chosen names cannot grow without bound.
 */
import { describe, expect, it } from 'vitest';
import { resolveChain } from './chain.js';
import { configSchema } from '../config/schema.js';
import { Catalog } from './catalog.js';
import { cool, http, provider, rejection, run, runtime, scripted, stateOf } from './conductor/harness.test-suite.js';

describe('per-key settings', () => {
  it('a key entry overrides its provider’s priority, weight, label, models and exclusions for that credential only', () => {
    const { rt } = runtime({
      providers: [
        provider('a', [], {
          models: ['m', 'n'],
          priority: 1,
          apiKeys: ['k0', { key: 'k1', label: 'free tier', priority: 5, weight: 3, models: ['m'] }, { key: 'k2', excludedModels: ['N'] }],
        }),
      ],
    });
    const [k0, k1, k2] = rt.catalog.providers.get('a')!.credentials;
    expect([k0!.id, k1!.id, k2!.id]).toEqual(['a#0', 'a#1', 'a#2']);
    expect(k0).toMatchObject({ label: 'a key 1', priority: 1, weight: 1 });
    expect(k1).toMatchObject({ label: 'free tier', priority: 5, weight: 3 });
    expect(rt.catalog.modelsOf('a#1')).toEqual(['m']);
    expect(rt.catalog.modelsOf('a#2')).toEqual(['m']);
    expect(resolveChain(rt.catalog, rt.config.models, 'n')[0]!.members.map((m) => m.id)).toEqual(['a#0']);
    expect(resolveChain(rt.catalog, rt.config.models, 'm')[0]!.members.map((m) => [m.id, m.priority])).toEqual([['a#0', 1], ['a#1', 5], ['a#2', 1]]);
    // Labels show; keys never do.
    expect(JSON.stringify(rt.catalog.providers.get('a')!.credentials.map((c) => [c.id, c.label]))).not.toMatch(/k1|k2/);
  });

  it('round r admits only credentials whose own requestRetry is at least r (global 3, A=3, B=2, C=2: 4, 3 and 3 calls)', async () => {
    const fx = runtime({
      retry: { requestRetry: 3, maxRetryInterval: '1s' },
      cooldown: { transientSeconds: 0 },
      providers: [provider('p', [], { apiKeys: ['ka', { key: 'kb', requestRetry: 2 }, { key: 'kc', requestRetry: 2 }] })],
    });
    const { attempt, calls } = scripted({ 'p#0': http(500), 'p#1': http(500), 'p#2': http(500) });
    await rejection(run(fx, 'm', attempt));
    const count = (id: string) => calls.filter((c) => c === id).length;
    expect([count('p#0'), count('p#1'), count('p#2')]).toEqual([4, 3, 3]);
  });

  it('disableCooling fails over but never benches the credential, a 429 with Retry-After included', async () => {
    const fx = runtime({ routing: { strategy: 'fill-first' }, providers: [provider('p', [], { apiKeys: [{ key: 'k0', disableCooling: true }, 'k1'] })] });
    const { attempt, calls } = scripted({ 'p#0': [http(429, '429 slow down', 60_000), 'ok'] });
    expect((await run(fx, 'm', attempt)).member.id).toBe('p#1');
    expect(stateOf(fx, 'p#0', 'm')).toBeUndefined();
    expect((await run(fx, 'm', attempt)).member.id).toBe('p#0');
    expect(calls).toEqual(['p#0', 'p#1', 'p#0']);
  });
});

describe('excludedModels', () => {
  it('match case-insensitively, against upstream names and aliases', () => {
    const { rt } = runtime({
      providers: [provider('a', 1, { models: ['GPT-4o', { name: 'o3-mini', alias: 'thinker' }, 'keep'], excludedModels: ['gpt-4*', 'THINK*'] })],
    });
    expect(rt.catalog.modelsOf('a#0')).toEqual(['keep']);
    expect(() => resolveChain(rt.catalog, rt.config.models, 'a/gpt-4o')).toThrow(/does not exist/);
    expect(() => resolveChain(rt.catalog, rt.config.models, 'thinker')).toThrow(/does not exist/);
  });
});

describe('alias pools', () => {
  const pooled = () =>
    runtime({
      routing: { strategy: 'fill-first' },
      retry: { requestRetry: 0 },
      providers: [provider('c', 1, { models: [{ name: 'up-a', alias: 'smart' }, { name: 'up-b', alias: 'smart' }, { name: 'up-c', alias: 'smart' }] })],
    });

  it('a repeated alias is a pool, not the last entry', () => {
    const { rt } = pooled();
    const [pool] = resolveChain(rt.catalog, rt.config.models, 'smart');
    expect(pool!.members).toHaveLength(1);
    expect(pool!.members[0]!.models).toEqual(['up-a', 'up-b', 'up-c']);
  });

  it('each request starts at a rotating member', async () => {
    const fx = pooled();
    const models: string[] = [];
    for (let i = 0; i < 4; i++) models.push((await run(fx, 'smart', scripted().attempt)).member.model);
    expect(models).toEqual(['up-a', 'up-b', 'up-c', 'up-a']);
  });

  it('a failure tries the next member on the same credential, and cooling members are skipped', async () => {
    const fx = pooled();
    const tried: string[] = [];
    const attempt = async (m: { id: string; model: string }) => {
      tried.push(`${m.id}:${m.model}`);
      if (m.model === 'up-a') throw http(503);
      return m.model;
    };
    expect((await run(fx, 'smart', attempt)).member.model).toBe('up-b');
    expect(tried).toEqual(['c#0:up-a', 'c#0:up-b']);
    expect(stateOf(fx, 'c#0', 'up-a')?.reason).toBe('transient');
    tried.length = 0;
    // The rotation moved on to up-b; up-a, cooling, is never asked.
    for (let i = 0; i < 3; i++) await run(fx, 'smart', attempt);
    expect(tried).toEqual(['c#0:up-b', 'c#0:up-c', 'c#0:up-b']);
  });

  it('a request error on one member ends the request without trying the others', async () => {
    const fx = pooled();
    const tried: string[] = [];
    const err = await rejection(
      run(fx, 'smart', async (m) => {
        tried.push(m.model);
        throw http(400, '400 messages: field required');
      }),
    );
    expect(err.code).toBe('upstream_request_error');
    expect(tried).toHaveLength(1);
  });
});

describe('model lists per credential', () => {
  it('each credential registers what it listed; a key’s models narrow its listing', () => {
    const { rt } = runtime({ providers: [provider('g', [], { models: undefined, apiKeys: ['free', { key: 'paid', models: ['pro', { name: 'flash', alias: 'fast' }] }] })] });
    rt.catalog.setListedModels('g#0', ['flash']);
    rt.catalog.setListedModels('g#1', ['flash', 'pro', 'ultra']);
    expect(rt.catalog.modelsOf('g#0')).toEqual(['flash']);
    expect(rt.catalog.modelsOf('g#1').sort()).toEqual(['flash', 'pro']);
    expect(resolveChain(rt.catalog, rt.config.models, 'pro')[0]!.members.map((m) => m.id)).toEqual(['g#1']);
    expect(resolveChain(rt.catalog, rt.config.models, 'fast')[0]!.members.map((m) => [m.id, m.model])).toEqual([['g#1', 'flash']]);
    expect(() => resolveChain(rt.catalog, rt.config.models, 'ultra')).toThrow(/does not exist/);
    expect(rt.catalog.registry.models().map((m) => m.id)).toEqual(['fast', 'flash', 'pro']);
  });
});

describe('availability, read from the state store by upstream model and key', () => {
  it('a name an alias gives is held back by the cooldown of the upstream model behind it', () => {
    const fx = runtime({ providers: [provider('a', 2, { models: [{ name: 'up-x', alias: 'fast' }] })] });
    const registry = fx.rt.catalog.registry;
    const until = cool(fx, 'a#0', 'up-x', 60_000, { reason: 'forbidden', status: 403 });
    // A cooldown stored under the client name means nothing: the store is keyed by upstream model.
    cool(fx, 'a#1', 'fast', 60_000, { reason: 'forbidden', status: 403 });
    expect(registry.view(until - 1)).toEqual([
      { model: 'fast', providers: { a: 2 }, count: 2, available: 1, quotaExceeded: [], suspended: { 'a#0': 'forbidden' } },
    ]);
    expect(registry.availableCount('fast', until)).toBe(2);
  });

  it('an alias pool is usable while one member is, and counts as waiting for quota when one member does', () => {
    const fx = runtime({ providers: [provider('c', 1, { models: [{ name: 'up-a', alias: 'smart' }, { name: 'up-b', alias: 'smart' }] })] });
    const registry = fx.rt.catalog.registry;
    const soon = cool(fx, 'c#0', 'up-a', 10_000, { reason: 'unauthorized', status: 401 });
    expect(registry.availableCount('smart', soon - 1)).toBe(1);
    cool(fx, 'c#0', 'up-b', 60_000);
    expect(registry.view(soon - 1)[0]).toMatchObject({ available: 0, quotaExceeded: ['c#0'], suspended: {} });
    expect(registry.models(soon - 1).map((m) => m.id)).toEqual(['smart']);
    expect(registry.availableCount('smart', soon)).toBe(1);
  });

  it('without a store every registered credential is available', () => {
    const config = configSchema.parse({ providers: [provider('a', 2)] });
    const catalog = new Catalog(config, [], { upstreamFor: () => ({}) as never });
    expect(catalog.registry.view()[0]).toMatchObject({ model: 'm', count: 2, available: 2, quotaExceeded: [], suspended: {} });
  });
});

describe('unknown model names', () => {
  it('100,000 distinct names leave the pool cache bounded', () => {
    const { rt } = runtime({ providers: [provider('a', 1)] });
    let misses = 0;
    for (let i = 0; i < 100_000; i++) {
      if (rt.catalog.pool(`no-such-model-${i}`) === undefined) misses++;
      rt.catalog.pool(`a/qualified-${i}`);
    }
    expect(misses).toBe(100_000);
    expect(rt.catalog.cachedPools).toBeLessThanOrEqual(10_000);
    expect(rt.catalog.pool('m')?.members).toHaveLength(1);
  });
});
