/**
 * least-inflight-scheduler through the plugin test harness: the pick and each tie-break.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PluginHarness, createHarness } from '@switchyard/plugin-sdk/testing';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));

type Candidate = Parameters<PluginHarness['schedule']>[0]['candidates'][number];

/** A candidate `openai#<n>` with the given live numbers. */
const key = (n: number, stats: Partial<Candidate> = {}): Candidate => ({
  id: `openai#${n}`,
  provider: 'openai',
  label: `key ${n}`,
  priority: 0,
  weight: 1,
  status: 'active',
  inFlight: 0,
  successes: 0,
  failures: 0,
  ...stats,
});

let scheduler: PluginHarness;
beforeAll(async () => {
  scheduler = await createHarness({ plugin: PLUGIN });
});
afterAll(async () => {
  await scheduler?.close();
});

const pick = (...candidates: Candidate[]) => scheduler.schedule({ provider: 'openai', model: 'gpt-4.1', candidates });

describe('least-inflight-scheduler', () => {
  it('is a scheduler', () => {
    expect(scheduler.registration.capabilities).toEqual(['scheduler']);
  });

  it('picks the candidate with the fewest requests in flight', async () => {
    expect(await pick(key(0, { inFlight: 3 }), key(1, { inFlight: 1 }), key(2, { inFlight: 2 }))).toEqual({ credentialId: 'openai#1' });
  });

  it('breaks a tie by fewer failures, however many successes', async () => {
    expect(await pick(key(0, { inFlight: 1, failures: 4, successes: 100 }), key(1, { inFlight: 1, failures: 2 }), key(2, { inFlight: 5 }))).toEqual({
      credentialId: 'openai#1',
    });
  });

  it('then by the host’s order: the first candidate wins', async () => {
    expect(await pick(key(0, { inFlight: 2 }), key(1, { inFlight: 1, failures: 1 }), key(2, { inFlight: 1, failures: 1 }))).toEqual({ credentialId: 'openai#1' });
    expect(await pick(key(2), key(0), key(1))).toEqual({ credentialId: 'openai#2' });
  });

  it('prefers fewer in flight over fewer failures', async () => {
    expect(await pick(key(0, { inFlight: 2, failures: 0 }), key(1, { inFlight: 1, failures: 9 }))).toEqual({ credentialId: 'openai#1' });
  });

  it('stays within the highest priority tier offered', async () => {
    expect(await pick(key(0, { priority: 0, inFlight: 0 }), key(1, { priority: 1, inFlight: 4 }), key(2, { priority: 1, inFlight: 6 }))).toEqual({ credentialId: 'openai#1' });
  });

  it('never picks a cooling candidate', async () => {
    expect(await pick(key(0, { status: 'cooling' }), key(1, { inFlight: 3 }))).toEqual({ credentialId: 'openai#1' });
    expect(await pick(key(0, { status: 'cooling' }))).toEqual({ handled: false });
  });

  it('leaves the choice to the host when there are no candidates', async () => {
    expect(await pick()).toEqual({ handled: false });
  });
});
