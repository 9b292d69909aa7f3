/**
 * The changes a replica has made and not yet written, coalesced by what they change: the last
 * change to a cooldown or a session binding wins, deltas (counters, cursors, usage) add up. So an outage of any length costs memory in proportion to the state, not the traffic.
 *
 * @module
 */
import type { CredentialCounters } from '../types.js';
import { addCounts, type UsageRow, usageKeyString } from '../usage.js';
import type { StateChange } from './backend.js';

export class PendingChanges {
  /** Insertion order is write order: a replaced change moves to the end. */
  #changes = new Map<string, StateChange>();

  get size(): number {
    return this.#changes.size;
  }

  add(change: StateChange): void {
    const key = keyOf(change);
    const prev = this.#changes.get(key);
    if (change.kind === 'counters' && prev?.kind === 'counters') {
      prev.successes += change.successes;
      prev.failures += change.failures;
      return;
    }
    if (change.kind === 'cursor' && prev?.kind === 'cursor') {
      prev.delta += change.delta;
      return;
    }
    if (change.kind === 'usage') {
      if (prev?.kind === 'usage') addCounts(prev.row, change.row);
      else this.#changes.set(key, { kind: 'usage', row: { ...change.row } });
      return;
    }
    if (change.kind === 'clear-credential') {
      // Ends every cooldown of the credential, so cooldown changes queued before it are moot.
      for (const [k, c] of this.#changes) if ((c.kind === 'cooldown' || c.kind === 'clear-cooldown') && c.credentialId === change.credentialId) this.#changes.delete(k);
    }
    this.#changes.delete(key);
    // Copied, so merging deltas never changes the caller's object.
    this.#changes.set(key, { ...change });
  }

  /** Everything pending, in order; the queue is empty afterwards. */
  take(): StateChange[] {
    const batch = [...this.#changes.values()];
    this.#changes = new Map();
    return batch;
  }

  /** Puts back a batch that could not be written, under anything changed since. */
  restore(batch: readonly StateChange[]): void {
    const newer = this.#changes;
    this.#changes = new Map();
    for (const change of batch) this.add(change);
    for (const change of newer.values()) this.add(change);
  }

  hasCooldown(credentialId: string, model: string): boolean {
    return this.#changes.has(`cd\0${credentialId}\0${model}`);
  }

  /** Results recorded on this host and not yet written. */
  counters(credentialId: string): CredentialCounters {
    const c = this.#changes.get(`n\0${credentialId}`);
    return c?.kind === 'counters' ? { successes: c.successes, failures: c.failures } : { successes: 0, failures: 0 };
  }

  /** Usage of the minutes in [`from`, `to`] counted on this host and not yet written. */
  usage(from: number, to: number): UsageRow[] {
    const rows: UsageRow[] = [];
    for (const c of this.#changes.values()) if (c.kind === 'usage' && c.row.minute >= from && c.row.minute <= to) rows.push({ ...c.row });
    return rows;
  }

  /** Round-robin moves made on this host and not yet written. */
  cursor(key: string): number {
    const c = this.#changes.get(`cur\0${key}`);
    return c?.kind === 'cursor' ? c.delta : 0;
  }
}

function keyOf(change: StateChange): string {
  switch (change.kind) {
    case 'cooldown':
    case 'clear-cooldown':
      return `cd\0${change.credentialId}\0${change.model}`;
    case 'clear-credential':
      return `clr\0${change.credentialId}`;
    case 'counters':
      return `n\0${change.credentialId}`;
    case 'cursor':
      return `cur\0${change.key}`;
    case 'bind':
    case 'unbind':
      return `s\0${change.key}`;
    case 'usage':
      return `u\0${change.row.minute}\0${usageKeyString(change.row)}`;
  }
}
