import { describe, it, expect } from 'vitest';
import { ModelRegistry } from './registry.js';

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

/**
 * A cooldown table standing in for the state store: what the registry asks through its
 * availability lookup, so availability is never kept twice.
 */
function cooldowns() {
  const table = new Map<string, { reason: string; until: number }>();
  return {
    set: (credentialId: string, model: string, reason: string, until: number) => table.set(`${credentialId}|${model}`, { reason, until }),
    clear: (credentialId: string, model: string) => table.delete(`${credentialId}|${model}`),
    lookup: (credentialId: string, model: string, now: number) => {
      const held = table.get(`${credentialId}|${model}`);
      return held && held.until > now ? held : undefined;
    },
  };
}

describe('ModelRegistry availability, derived from the cooldowns in force', () => {
  it('a credential free again after Retry-After: 2 counts again 2 s later, not 5 minutes later', () => {
    const cool = cooldowns();
    const registry = new ModelRegistry(cool.lookup);
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    cool.set('k#0', 'm', 'quota', T0 + 2_000);
    expect(registry.availableCount('m', T0)).toBe(1);
    expect(registry.availableCount('m', T0 + 1_999)).toBe(1);
    expect(registry.availableCount('m', T0 + 2_000)).toBe(2);
  });

  it('a model whose keys all answered 401 is hidden, and listed again once a cooldown ends, with no request in between', () => {
    const cool = cooldowns();
    const registry = new ModelRegistry(cool.lookup);
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    cool.set('k#0', 'm', 'unauthorized', T0 + 1_800_000);
    cool.set('k#1', 'm', 'unauthorized', T0 + 1_900_000);
    expect(registry.models(T0)).toEqual([]);
    expect(registry.models(T0 + 1_800_000)).toEqual([{ id: 'm', providers: ['p'], count: 2, available: 1 }]);
  });

  it('keeps a model listed while every key only waits for quota', () => {
    const cool = cooldowns();
    const registry = new ModelRegistry(cool.lookup);
    registry.register('k#0', 'p', ['m']);
    registry.register('k#1', 'p', ['m']);
    cool.set('k#0', 'm', 'quota', T0 + 60_000);
    cool.set('k#1', 'm', 'quota', T0 + 60_000);
    expect(registry.models(T0)).toEqual([{ id: 'm', providers: ['p'], count: 2, available: 0 }]);
    cool.set('k#1', 'm', 'forbidden', T0 + 60_000);
    expect(registry.models(T0).map((m) => m.id)).toEqual(['m']);
    cool.set('k#0', 'm', 'not_found', T0 + 60_000);
    expect(registry.models(T0)).toEqual([]);
  });

  it('a cleared cooldown (a success, a reset) counts at once', () => {
    const cool = cooldowns();
    const registry = new ModelRegistry(cool.lookup);
    registry.register('k#0', 'p', ['m']);
    cool.set('k#0', 'm', 'unauthorized', T0 + 60_000);
    expect(registry.availableCount('m', T0)).toBe(0);
    cool.clear('k#0', 'm');
    expect(registry.availableCount('m', T0)).toBe(1);
  });

  it('without a lookup everything registered is available', () => {
    const registry = new ModelRegistry();
    registry.register('k#0', 'p', ['m']);
    expect(registry.availableCount('m', T0)).toBe(1);
    expect(registry.availableCount('unknown', T0)).toBe(0);
  });
});

describe('ModelRegistry caches', () => {
  it('shows a change made after a read', () => {
    const cool = cooldowns();
    const registry = new ModelRegistry(cool.lookup);
    registry.register('a#0', 'a', ['m']);
    const providers = registry.providers('m');
    const credentials = registry.credentialsFor('m');
    expect(registry.providers('m')).toBe(providers);
    expect(registry.credentialsFor('m')).toBe(credentials);

    registry.register('b#0', 'b', ['m', 'n']);
    registry.register('b#1', 'b', ['m']);
    expect(registry.providers('m')).toEqual(['b', 'a']);
    expect(registry.credentialsFor('m')).toEqual(['a#0', 'b#0', 'b#1']);
    expect(registry.models(T0).map((m) => [m.id, m.count])).toEqual([
      ['m', 3],
      ['n', 1],
    ]);

    cool.set('b#0', 'n', 'forbidden', T0 + 1);
    expect(registry.models(T0).map((m) => m.id)).toEqual(['m']);
    registry.unregister('b#0');
    expect(registry.models(T0)).toEqual([{ id: 'm', providers: ['a', 'b'], count: 2, available: 2 }]);
    expect(registry.providers('m')).toEqual(['a', 'b']);
  });

  it('hands out frozen views so callers cannot corrupt the cache', () => {
    const registry = new ModelRegistry();
    registry.register('a#0', 'a', ['m']);
    expect(Object.isFrozen(registry.providers('m'))).toBe(true);
    expect(Object.isFrozen(registry.credentialsFor('m'))).toBe(true);
    expect(Object.isFrozen(registry.providers('unknown'))).toBe(true);
  });
});

describe('ModelRegistry view', () => {
  it('describes every registered model, hidden ones included, sorted by model', () => {
    const cool = cooldowns();
    const registry = new ModelRegistry(cool.lookup);
    registry.register('openai#0', 'openai', ['gpt-4o', 'o3']);
    registry.register('openai#1', 'openai', ['gpt-4o']);
    registry.register('azure#0', 'azure', ['gpt-4o']);
    cool.set('openai#1', 'gpt-4o', 'quota', T0 + 1);
    cool.set('openai#0', 'gpt-4o', 'quota', T0);
    cool.set('azure#0', 'gpt-4o', 'transient', T0 + 1);
    cool.set('openai#0', 'o3', 'unauthorized', T0 + 1);

    expect(registry.view(T0)).toEqual([
      {
        model: 'gpt-4o',
        providers: { openai: 2, azure: 1 },
        count: 3,
        available: 1,
        quotaExceeded: ['openai#1'],
        suspended: { 'azure#0': 'transient' },
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
