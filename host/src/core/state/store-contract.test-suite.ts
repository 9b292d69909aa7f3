/**
 * The behaviour every {@link StateStore} promises, run against each implementation (the memory
 * store, and the replicated store over each backend): what the conductor relies on whatever
 * store it is given.
 *
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelState, StateStore } from './types.js';

const quota = (until: number, backoffLevel = 1): ModelState => ({ until, reason: 'quota', status: 429, message: 'rate limited', backoffLevel });

/** Registers the contract suite; `open` gives a fresh, empty store each time. */
export function describeStateStoreContract(name: string, open: () => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    const stores: StateStore[] = [];
    const fresh = async () => {
      const store = await open();
      stores.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it('keeps a cooldown per credential and model, and clears it', async () => {
      const store = await fresh();
      const until = Date.now() + 60_000;
      store.setModelState('openai:a', 'gpt-4o', quota(until));
      expect(store.modelState('openai:a', 'gpt-4o')).toEqual(quota(until));
      expect(store.modelState('openai:a', 'gpt-4o-mini')).toBeUndefined();
      expect(store.modelState('openai:b', 'gpt-4o')).toBeUndefined();
      expect([...store.modelStates('openai:a').keys()]).toEqual(['gpt-4o']);
      store.setModelState('openai:a', 'gpt-4o', undefined);
      expect(store.modelState('openai:a', 'gpt-4o')).toBeUndefined();
    });

    it('never shortens a cooldown, and keeps the higher backoff level', async () => {
      const store = await fresh();
      const long = Date.now() + 60_000;
      store.setModelState('openai:a', 'gpt-4o', quota(long, 1));
      store.setModelState('openai:a', 'gpt-4o', { ...quota(Date.now() + 1_000, 4), message: 'shorter' });
      expect(store.modelState('openai:a', 'gpt-4o')).toMatchObject({ until: long, backoffLevel: 4, message: 'rate limited' });
      const longer = Date.now() + 120_000;
      store.setModelState('openai:a', 'gpt-4o', { until: longer, reason: 'forbidden', status: 403, backoffLevel: 0 });
      expect(store.modelState('openai:a', 'gpt-4o')).toMatchObject({ until: longer, reason: 'forbidden', backoffLevel: 4 });
    });

    it('replaces a cooldown that is over', async () => {
      const store = await fresh();
      store.setModelState('openai:a', 'gpt-4o', quota(Date.now() - 1, 3));
      const next = quota(Date.now() + 5_000, 0);
      store.setModelState('openai:a', 'gpt-4o', next);
      expect(store.modelState('openai:a', 'gpt-4o')).toEqual(next);
    });

    it('hands out copies: later changes do not show in a map already read', async () => {
      const store = await fresh();
      store.setModelState('openai:a', 'm1', quota(Date.now() + 60_000));
      const read = store.modelStates('openai:a');
      store.setModelState('openai:a', 'm2', quota(Date.now() + 60_000));
      expect(read.size).toBe(1);
    });

    it('clears every cooldown of a credential', async () => {
      const store = await fresh();
      store.setModelState('openai:a', 'm1', quota(Date.now() + 60_000));
      store.setModelState('openai:a', 'm2', quota(Date.now() + 60_000));
      store.setModelState('openai:b', 'm1', quota(Date.now() + 60_000));
      store.clearCredential('openai:a');
      expect(store.modelStates('openai:a').size).toBe(0);
      expect(store.modelState('openai:b', 'm1')).toBeDefined();
    });

    it('counts successes and failures per credential', async () => {
      const store = await fresh();
      store.recordResult('openai:a', true);
      store.recordResult('openai:a', true);
      store.recordResult('openai:a', false);
      expect(store.counters('openai:a')).toEqual({ successes: 2, failures: 1 });
      expect(store.counters('openai:b')).toEqual({ successes: 0, failures: 0 });
    });

    it('advances a cursor per key from 0', async () => {
      const store = await fresh();
      expect([store.nextCursor('p'), store.nextCursor('p'), store.nextCursor('q'), store.nextCursor('p')]).toEqual([0, 1, 0, 2]);
      // Reading a cursor leaves it where it is.
      expect([store.cursor('p'), store.cursor('p'), store.cursor('r')]).toEqual([3, 3, 0]);
    });

    it('binds sessions until they expire, and unbinds only the credential named', async () => {
      const store = await fresh();
      const now = Date.now();
      store.bindSession('s1', 'openai:a', now + 60_000);
      store.bindSession('s2', 'openai:b', now + 10);
      expect(store.session('s1', now)).toBe('openai:a');
      expect(store.session('s2', now + 11)).toBeUndefined();
      store.unbindSession('s1', 'openai:b');
      expect(store.session('s1', now)).toBe('openai:a');
      store.unbindSession('s1', 'openai:a');
      expect(store.session('s1', now)).toBeUndefined();
      store.bindSession('s3', 'openai:a', now + 60_000);
      store.unbindSession('s3');
      expect(store.session('s3', now)).toBeUndefined();
    });

    it('counts requests in flight', async () => {
      const store = await fresh();
      store.adjustInFlight('openai:a', 1);
      store.adjustInFlight('openai:a', 1);
      store.adjustInFlight('openai:a', -1);
      expect(store.inFlight('openai:a')).toBe(1);
      store.adjustInFlight('openai:a', -1);
      expect(store.inFlight('openai:a')).toBe(0);
    });

    it('forgets credentials a reload dropped', async () => {
      const store = await fresh();
      store.setModelState('openai:a', 'm', quota(Date.now() + 60_000));
      store.setModelState('openai:gone', 'm', quota(Date.now() + 60_000));
      store.recordResult('openai:gone', true);
      store.bindSession('s', 'openai:gone', Date.now() + 60_000);
      store.retain(new Set(['openai:a']));
      expect(store.modelState('openai:gone', 'm')).toBeUndefined();
      expect(store.counters('openai:gone')).toEqual({ successes: 0, failures: 0 });
      expect(store.session('s', Date.now())).toBeUndefined();
      expect(store.modelState('openai:a', 'm')).toBeDefined();
    });

    it('adds usage up per minute and key, and reads back the minutes of a range', async () => {
      const store = await fresh();
      const minute = Date.now() - (Date.now() % 60_000);
      const key = { client: 'ci-bot', model: 'gpt-4o', provider: 'openai', credential: 'openai:a' };
      const row = (m: number, k: Partial<typeof key>, n: number, errors = 0) => ({ minute: m, ...key, ...k, requests: 1, inputTokens: n, outputTokens: 2 * n, cachedTokens: 1, errors });
      store.addUsage(row(minute, {}, 10));
      store.addUsage(row(minute, {}, 5, 1));
      store.addUsage(row(minute, { client: 'other' }, 7));
      store.addUsage(row(minute - 60_000, {}, 3));
      store.addUsage(row(minute - 10 * 60_000, {}, 100));
      // Written behind on a shared store: a read sees it all the same, before and after the write.
      for (const settle of [async () => {}, () => store.flush()]) {
        await settle();
        const rows = await store.usage(minute - 60_000, minute + 59_999);
        const sorted = rows.map(({ minute: m, client, requests, inputTokens, outputTokens, cachedTokens, errors }) => ({ m: m - minute, client, requests, inputTokens, outputTokens, cachedTokens, errors }));
        sorted.sort((a, b) => a.m - b.m || a.client.localeCompare(b.client));
        expect(sorted).toEqual([
          { m: -60_000, client: 'ci-bot', requests: 1, inputTokens: 3, outputTokens: 6, cachedTokens: 1, errors: 0 },
          { m: 0, client: 'ci-bot', requests: 2, inputTokens: 15, outputTokens: 30, cachedTokens: 2, errors: 1 },
          { m: 0, client: 'other', requests: 1, inputTokens: 7, outputTokens: 14, cachedTokens: 1, errors: 0 },
        ]);
        expect(rows.every((r) => r.model === 'gpt-4o' && r.provider === 'openai' && r.credential === 'openai:a')).toBe(true);
      }
    });

    it('says it is up, and flushes and closes without error', async () => {
      const store = await fresh();
      expect(store.health().up).toBe(true);
      store.recordResult('openai:a', true);
      await store.flush();
    });
  });
}
