import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStateStore } from './memory-store.js';
import { describeStateStoreContract } from './store-contract.test-suite.js';
import type { ModelState } from './types.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-state-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describeStateStoreContract('memory', () => MemoryStateStore.open());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quota = (until: number, backoffLevel = 1): ModelState => ({
  until,
  reason: 'quota',
  status: 429,
  message: 'rate limited',
  backoffLevel,
});

describe('MemoryStateStore persistence', () => {
  it('restores cooldowns and counters after a restart, dropping cooldowns that are over', async () => {
    const dir = join(await tempDir(), 'nested', 'auths');
    let clock = 1_000;
    const now = () => clock;
    const first = await MemoryStateStore.open({ dir, now });
    first.setModelState('openai#0', 'gpt-4o', quota(60_000, 3));
    first.setModelState('openai#0', 'gpt-4o-mini', quota(1_500));
    first.setModelState('gemini#1', 'gemini-pro', { until: 90_000, reason: 'forbidden', backoffLevel: 0 });
    first.recordResult('openai#0', true);
    first.recordResult('openai#0', true);
    first.recordResult('openai#0', false);
    first.recordResult('anthropic#0', false);
    first.nextCursor('pool');
    first.bindSession('s1', 'openai#0', 1_000_000);
    await first.close();

    const saved = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(saved).toMatchObject({
      version: 1,
      savedAt: 1_000,
      credentials: {
        'openai#0': { counters: { successes: 2, failures: 1 }, models: { 'gpt-4o': quota(60_000, 3) } },
        'anthropic#0': { counters: { successes: 0, failures: 1 } },
      },
    });

    clock = 2_000;
    const second = await MemoryStateStore.open({ dir, now });
    expect(second.modelState('openai#0', 'gpt-4o')).toEqual(quota(60_000, 3));
    expect(second.modelState('openai#0', 'gpt-4o-mini')).toBeUndefined();
    expect(second.modelState('gemini#1', 'gemini-pro')).toMatchObject({ reason: 'forbidden' });
    expect(second.counters('openai#0')).toEqual({ successes: 2, failures: 1 });
    expect(second.counters('anthropic#0')).toEqual({ successes: 0, failures: 1 });
    // Cursors and sessions are not persisted.
    expect(second.nextCursor('pool')).toBe(0);
    expect(second.session('s1', 2_000)).toBeUndefined();
    await second.close();
  });

  it('reports a corrupt or malformed file and starts empty', async () => {
    const dir = await tempDir();
    const bad = [
      '{"version": 1, "credentials": {"a": {"counters"',
      '{"version": 2, "credentials": {}}',
      '{"version": 1, "credentials": {"a": {"models": {"m": {"until": 9e15, "reason": "bored", "backoffLevel": 0}}}}}',
      // A bad entry after a good one: nothing of the file is kept.
      '{"version": 1, "credentials": {"a": {"counters": {"successes": 1, "failures": 0}}, "b": {"counters": 7}}}',
    ];
    for (const text of bad) {
      await writeFile(join(dir, 'state.json'), text);
      const errors: Error[] = [];
      const store = await MemoryStateStore.open({ dir, onError: (err) => errors.push(err) });
      expect(errors, text).toHaveLength(1);
      expect(store.counters('a')).toEqual({ successes: 0, failures: 0 });
      expect(store.modelStates('a').size).toBe(0);
      // The next write replaces the bad file.
      store.recordResult('a', true);
      await store.close();
      expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')).credentials.a.counters.successes).toBe(1);
    }
  });

  it('starts empty without an error when there is no file yet', async () => {
    const errors: Error[] = [];
    const store = await MemoryStateStore.open({ dir: await tempDir(), onError: (err) => errors.push(err) });
    expect(store.modelStates('a').size).toBe(0);
    await store.close();
    expect(errors).toEqual([]);
  });

  it('writes atomically: no temporary file is left behind and the file always parses', async () => {
    const dir = await tempDir();
    const seen: string[][] = [];
    const store = await MemoryStateStore.open({
      dir,
      flushDelayMs: 1,
      onWrite: () => {
        seen.push(readdirSync(dir));
        JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
      },
    });
    for (let i = 0; i < 20; i++) {
      store.setModelState('openai#0', `model-${i}`, quota(Date.now() + 60_000));
      if (i % 5 === 0) await store.flush();
      else await sleep(2);
    }
    await store.close();
    expect(seen.length).toBeGreaterThan(1);
    for (const files of seen) expect(files).toEqual(['state.json']);
    expect(await readdir(dir)).toEqual(['state.json']);
    const saved = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(Object.keys(saved.credentials['openai#0'].models)).toHaveLength(20);
  });

  it('debounces a burst of changes into one write', async () => {
    let writes = 0;
    const store = await MemoryStateStore.open({ dir: await tempDir(), flushDelayMs: 20, onWrite: () => writes++ });
    for (let i = 0; i < 100; i++) store.recordResult(`c#${i % 7}`, i % 2 === 0);
    expect(writes).toBe(0);
    await sleep(150);
    expect(writes).toBe(1);
    store.setModelState('c#0', 'm', quota(Date.now() + 60_000));
    store.setModelState('c#0', 'm', undefined);
    await sleep(150);
    expect(writes).toBe(2);
    // Clearing a state that does not exist changes nothing, so nothing is written.
    store.setModelState('c#0', 'm', undefined);
    await sleep(100);
    expect(writes).toBe(2);
    await store.close();
  });

  it('flush writes pending changes at once and close flushes too', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = await MemoryStateStore.open({ dir, flushDelayMs: 60_000, onWrite: () => writes++ });
    store.recordResult('a', true);
    await store.flush();
    expect(writes).toBe(1);
    await store.flush(); // nothing pending
    expect(writes).toBe(1);
    store.recordResult('a', true);
    await store.close();
    expect(writes).toBe(2);
    const saved = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(saved.credentials.a.counters.successes).toBe(2);
  });

  it('a pending write never keeps the process alive', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const store = await MemoryStateStore.open({ dir: await tempDir(), flushDelayMs: 60_000 });
    const before = timers();
    store.recordResult('a', true);
    expect(timers()).toBe(before);
    await store.close();
  });

  it('reports a failed write and retries it on the next flush', async () => {
    const dir = await tempDir();
    const errors: Error[] = [];
    const store = await MemoryStateStore.open({ dir, flushDelayMs: 60_000, onError: (err) => errors.push(err) });
    await rm(dir, { recursive: true });
    store.recordResult('a', true);
    await store.flush();
    expect(errors).toHaveLength(1);
    await mkdir(dir);
    await store.close();
    expect(errors).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('without a dir nothing is written', async () => {
    let writes = 0;
    const store = new MemoryStateStore({ flushDelayMs: 1, onWrite: () => writes++ });
    store.recordResult('a', true);
    await sleep(20);
    await store.close();
    expect(writes).toBe(0);
    expect(store.counters('a')).toEqual({ successes: 1, failures: 0 });
  });
});

describe('MemoryStateStore in memory', () => {
  it('sets, lists and clears cooldowns', () => {
    const store = new MemoryStateStore();
    store.setModelState('a', 'm1', quota(10));
    store.setModelState('a', 'm2', quota(20));
    const listed = store.modelStates('a');
    expect([...listed.keys()]).toEqual(['m1', 'm2']);
    store.setModelState('a', 'm1', undefined);
    expect(store.modelState('a', 'm1')).toBeUndefined();
    expect(listed.size).toBe(2); // a snapshot, not a live view
    store.clearCredential('a');
    expect(store.modelStates('a').size).toBe(0);
  });

  it('counts successes and failures per credential', () => {
    const store = new MemoryStateStore();
    store.recordResult('a', true);
    store.recordResult('a', false);
    store.recordResult('a', false);
    const counters = store.counters('a');
    expect(counters).toEqual({ successes: 1, failures: 2 });
    counters.successes = 99; // a copy: the store is not changed through it
    expect(store.counters('a').successes).toBe(1);
    expect(store.counters('b')).toEqual({ successes: 0, failures: 0 });
  });

  it('cursors start at 0 and advance per key, within a bounded cache that forgets the least used first', () => {
    const store = new MemoryStateStore();
    expect([store.nextCursor('k'), store.nextCursor('k'), store.nextCursor('k')]).toEqual([0, 1, 2]);
    expect(store.nextCursor('other')).toBe(0);
    for (let i = 0; i < 4094; i++) store.nextCursor(`fill-${i}`);
    expect(store.nextCursor('k')).toBe(3); // 4096 keys: still within the bound
    store.nextCursor('one-too-many');
    // 'other' was used least recently: it went; 'k', just used, stayed.
    expect(store.nextCursor('k')).toBe(4);
    expect(store.nextCursor('other')).toBe(0);
  });

  it('a session binding lasts until it expires, then is dropped', () => {
    const store = new MemoryStateStore();
    store.bindSession('s', 'a', 1_000);
    expect(store.session('s', 999)).toBe('a');
    expect(store.session('s', 1_000)).toBeUndefined();
    expect(store.session('s', 0)).toBeUndefined(); // deleted on the expired lookup
    store.bindSession('s', 'b', 2_000);
    expect(store.session('s', 1_500)).toBe('b');
  });

  it('unbinding with a credential only removes a binding that still points there', () => {
    const store = new MemoryStateStore();
    store.bindSession('s', 'b', 1_000);
    store.unbindSession('s', 'a');
    expect(store.session('s', 0)).toBe('b');
    store.unbindSession('s', 'b');
    expect(store.session('s', 0)).toBeUndefined();
    store.bindSession('s', 'c', 1_000);
    store.unbindSession('s');
    expect(store.session('s', 0)).toBeUndefined();
  });

  it('drops the oldest session bindings beyond 100 000', () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 100_000; i++) store.bindSession(`s${i}`, 'a', 1_000);
    store.bindSession('s0', 'a', 1_000); // rebinding makes s0 the newest
    store.bindSession('new', 'a', 1_000);
    expect(store.session('s0', 0)).toBe('a');
    expect(store.session('s1', 0)).toBeUndefined();
    expect(store.session('s2', 0)).toBe('a');
    expect(store.session('new', 0)).toBe('a');
  });

  it('retain drops the state of credentials no longer configured', () => {
    const store = new MemoryStateStore();
    for (const id of ['a', 'b']) {
      store.setModelState(id, 'm', quota(10));
      store.recordResult(id, true);
      store.bindSession(`s-${id}`, id, 1_000);
    }
    store.retain(new Set(['a']));
    expect(store.modelState('a', 'm')).toBeDefined();
    expect(store.counters('a').successes).toBe(1);
    expect(store.session('s-a', 0)).toBe('a');
    expect(store.modelState('b', 'm')).toBeUndefined();
    expect(store.counters('b').successes).toBe(0);
    expect(store.session('s-b', 0)).toBeUndefined();
  });
});
