import { describe, it, expect } from 'vitest';
import { ModelRegistry, QUOTA_WINDOW_MS } from './registry.js';

const T0 = 1_700_000_000_000;

describe('ModelRegistry registration', () => {
  it('counts a credential once per model even when its list repeats it', () => {
    const registry = new ModelRegistry();
    registry.register('openai#0', 'openai', ['gpt-4o', 'gpt-4o']);
    expect(registry.models(T0)).toEqual([{ id: 'gpt-4o', providers: ['openai'], count: 1, available: 1 }]);
    registry.register('openai#0', 'openai', ['gpt-4o']);
    expect(registry.view(T0)[0]).toMatchObject({ count: 1, providers: { openai: 1 } });
    registry.unregister('openai#0');
    expect(registry.has('gpt-4o')).toBe(false);
  });

  it('reconciles to exactly the given list: drops missing models, adds new ones', () => {
    const registry = new ModelRegistry();
    registry.register('openai#0', 'openai', ['a', 'b']);
    registry.register('openai#1', 'openai', ['b']);
    registry.register('openai#0', 'openai', ['b', 'c']);
    expect(registry.has('a')).toBe(false);
    expect(registry.availableCount('b', T0)).toBe(2);
    expect(registry.availableCount('c', T0)).toBe(1);
    expect(registry.models(T0).map((m) => m.id)).toEqual(['b', 'c']);
  });

  it('moves counts when a credential changes provider', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'openai', ['m']);
    registry.register('k#1', 'openai', ['m']);
    registry.register('k#0', 'azure', ['m', 'n']);
    expect(registry.view(T0)).toEqual([
      { model: 'm', providers: { azure: 1, openai: 1 }, count: 2, available: 2, quotaExceeded: [], suspended: {} },
      { model: 'n', providers: { azure: 1 }, count: 1, available: 1, quotaExceeded: [], suspended: {} },
    ]);
    registry.register('k#1', 'azure', ['m']);
    expect(registry.providers('m')).toEqual(['azure']);
  });

  it('removes a model when its last credential unregisters', () => {
    const registry = new ModelRegistry();
    registry.register('a#0', 'a', ['m']);
    registry.register('b#0', 'b', ['m']);
    registry.unregister('a#0');
    expect(registry.has('m')).toBe(true);
    expect(registry.providers('m')).toEqual(['b']);
    registry.unregister('b#0');
    expect(registry.has('m')).toBe(false);
    expect(registry.providers('m')).toEqual([]);
    expect(registry.credentialsFor('m')).toEqual([]);
    expect(registry.availableCount('m', T0)).toBe(0);
    expect(registry.models(T0)).toEqual([]);
  });

  it('treats an empty list as unregistering, and ignores unknown credentials', () => {
    const registry = new ModelRegistry();
    registry.register('a#0', 'a', ['m']);
    registry.unregister('nobody#0');
    registry.register('a#0', 'a', []);
    expect(registry.has('m')).toBe(false);
    registry.register('a#0', 'a', ['', 'm']);
    expect(registry.models(T0).map((m) => m.id)).toEqual(['m']);
  });

  it('orders providers by count then name', () => {
    const registry = new ModelRegistry();
    registry.register('zeta#0', 'zeta', ['m']);
    registry.register('zeta#1', 'zeta', ['m']);
    registry.register('beta#0', 'beta', ['m']);
    registry.register('alpha#0', 'alpha', ['m']);
    expect(registry.providers('m')).toEqual(['zeta', 'alpha', 'beta']);
    registry.register('beta#1', 'beta', ['m']);
    registry.register('beta#2', 'beta', ['m']);
    expect(registry.providers('m')).toEqual(['beta', 'zeta', 'alpha']);
    expect(Object.keys(registry.view(T0)[0]!.providers)).toEqual(['beta', 'zeta', 'alpha']);
  });

  it('lists credentials in registration order, keeping a credential in place when it moves provider', () => {
    const registry = new ModelRegistry();
    registry.register('b#0', 'b', ['m']);
    registry.register('a#0', 'a', ['m']);
    registry.register('b#0', 'c', ['m']);
    expect(registry.credentialsFor('m')).toEqual(['b#0', 'a#0']);
  });
});

describe('ModelRegistry availability', () => {
  it('a quota-exceeded credential does not count for 5 minutes, then does again', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    expect(registry.availableCount('m', T0)).toBe(1);
    expect(registry.availableCount('m', T0 + QUOTA_WINDOW_MS - 1)).toBe(1);
    expect(registry.availableCount('m', T0 + QUOTA_WINDOW_MS)).toBe(2);
    expect(QUOTA_WINDOW_MS).toBe(300_000);
  });

  it('clearing a quota mark makes the credential count again at once', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    expect(registry.availableCount('m', T0)).toBe(0);
    registry.clearQuotaExceeded('k#0', 'm');
    expect(registry.availableCount('m', T0)).toBe(1);
  });

  it('a suspended credential does not count until resumed', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.suspend('k#0', 'm', 'unauthorized');
    expect(registry.availableCount('m', T0)).toBe(1);
    registry.resume('k#0', 'm');
    expect(registry.availableCount('m', T0)).toBe(2);
  });

  it('counts a credential both quota-limited and suspended as unavailable once', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    registry.suspend('k#0', 'm', 'quota');
    expect(registry.availableCount('m', T0)).toBe(1);
  });

  it('ignores quota marks and suspensions for credentials that do not register the model', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['other']);
    registry.markQuotaExceeded('k#1', 'm', T0);
    registry.suspend('k#1', 'm', 'unauthorized');
    registry.suspend('k#0', 'unknown', 'unauthorized');
    expect(registry.availableCount('m', T0)).toBe(1);
    expect(registry.view(T0)[0]).toMatchObject({ model: 'm', quotaExceeded: [], suspended: {} });
  });

  it('keeps a model listed while only quota-limited, hides it when all are suspended for other reasons', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    registry.suspend('k#1', 'm', 'quota');
    expect(registry.models(T0)).toEqual([{ id: 'm', providers: ['p'], count: 2, available: 0 }]);

    registry.suspend('k#1', 'm', 'unauthorized');
    expect(registry.models(T0)).toEqual([]);
    expect(registry.has('m')).toBe(true);

    registry.suspend('k#0', 'm', 'unauthorized');
    registry.clearQuotaExceeded('k#0', 'm');
    expect(registry.models(T0)).toEqual([]);
    registry.resume('k#0', 'm');
    expect(registry.models(T0)).toEqual([{ id: 'm', providers: ['p'], count: 2, available: 1 }]);
  });

  it('re-registering clears quota marks and suspensions', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m', 'n']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    registry.suspend('k#0', 'n', 'forbidden');
    expect(registry.availableCount('m', T0)).toBe(0);
    expect(registry.availableCount('n', T0)).toBe(0);
    registry.register('k#0', 'p', ['m', 'n']);
    expect(registry.availableCount('m', T0)).toBe(1);
    expect(registry.availableCount('n', T0)).toBe(1);
    expect(registry.view(T0).map((v) => [v.quotaExceeded, v.suspended])).toEqual([
      [[], {}],
      [[], {}],
    ]);
  });

  it('drops marks with the registration, so a returning credential starts clean', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.suspend('k#0', 'm', 'unauthorized');
    registry.register('k#0', 'p', ['other']);
    registry.register('k#0', 'p', ['m']);
    expect(registry.availableCount('m', T0)).toBe(2);
  });
});

describe('ModelRegistry caches', () => {
  it('shows a change made after a read', () => {
    const registry = new ModelRegistry();
    registry.register('a#0', 'a', ['m']);
    const providers = registry.providers('m');
    const credentials = registry.credentialsFor('m');
    const listing = registry.models(T0);
    expect(registry.providers('m')).toBe(providers);
    expect(registry.credentialsFor('m')).toBe(credentials);
    expect(registry.models(T0 + 1)).toBe(listing);

    registry.register('b#0', 'b', ['m', 'n']);
    registry.register('b#1', 'b', ['m']);
    expect(registry.providers('m')).toEqual(['b', 'a']);
    expect(registry.credentialsFor('m')).toEqual(['a#0', 'b#0', 'b#1']);
    expect(registry.models(T0).map((m) => [m.id, m.count])).toEqual([
      ['m', 3],
      ['n', 1],
    ]);

    registry.suspend('b#0', 'n', 'forbidden');
    expect(registry.models(T0).map((m) => m.id)).toEqual(['m']);
    registry.unregister('b#0');
    expect(registry.models(T0)).toEqual([{ id: 'm', providers: ['a', 'b'], count: 2, available: 2 }]);
    expect(registry.providers('m')).toEqual(['a', 'b']);
  });

  it('refreshes the listing when the earliest quota window closes', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    registry.markQuotaExceeded('k#1', 'm', T0 + 1_000);
    expect(registry.models(T0 + 1_000)[0]!.available).toBe(0);
    expect(registry.models(T0 + QUOTA_WINDOW_MS - 1)[0]!.available).toBe(0);
    expect(registry.models(T0 + QUOTA_WINDOW_MS)[0]!.available).toBe(1);
    expect(registry.models(T0 + QUOTA_WINDOW_MS + 1_000)[0]!.available).toBe(2);
  });

  it('brings a hidden model back when a quota window closes', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    registry.suspend('k#1', 'm', 'unauthorized');
    expect(registry.models(T0)).toEqual([]);
    expect(registry.models(T0 + QUOTA_WINDOW_MS)).toEqual([{ id: 'm', providers: ['p'], count: 2, available: 1 }]);
  });

  it('does not reuse a listing for an earlier time', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    registry.markQuotaExceeded('k#0', 'm', T0);
    expect(registry.models(T0 + QUOTA_WINDOW_MS)[0]!.available).toBe(1);
    expect(registry.models(T0)[0]!.available).toBe(0);
  });

  it('hands out frozen views so callers cannot corrupt the cache', () => {
    const registry = new ModelRegistry();
    registry.register('a#0', 'a', ['m']);
    expect(Object.isFrozen(registry.models(T0))).toBe(true);
    expect(Object.isFrozen(registry.models(T0)[0])).toBe(true);
    expect(Object.isFrozen(registry.providers('m'))).toBe(true);
    expect(Object.isFrozen(registry.credentialsFor('m'))).toBe(true);
    expect(Object.isFrozen(registry.providers('unknown'))).toBe(true);
  });
});

describe('ModelRegistry view', () => {
  it('describes every registered model, hidden ones included, sorted by model', () => {
    const registry = new ModelRegistry();
    registry.register('openai#0', 'openai', ['gpt-4o', 'o3']);
    registry.register('openai#1', 'openai', ['gpt-4o']);
    registry.register('azure#0', 'azure', ['gpt-4o']);
    registry.markQuotaExceeded('openai#1', 'gpt-4o', T0);
    registry.markQuotaExceeded('openai#0', 'gpt-4o', T0 - QUOTA_WINDOW_MS);
    registry.suspend('azure#0', 'gpt-4o', 'quota');
    registry.suspend('openai#0', 'o3', 'unauthorized');

    expect(registry.view(T0)).toEqual([
      {
        model: 'gpt-4o',
        providers: { openai: 2, azure: 1 },
        count: 3,
        available: 1,
        quotaExceeded: ['openai#1'],
        suspended: { 'azure#0': 'quota' },
      },
      {
        model: 'o3',
        providers: { openai: 1 },
        count: 1,
        available: 0,
        quotaExceeded: [],
        suspended: { 'openai#0': 'unauthorized' },
      },
    ]);
    expect(registry.models(T0).map((m) => m.id)).toEqual(['gpt-4o']);
  });
});
