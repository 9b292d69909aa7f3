/**
 * What one host knows of the shared counters and cursors, so that after Redis lost its data
 * (restarted without persistence) it can write them back: its own counts exactly (every
 * increment it wrote), the other hosts' and the cursors as it last read them, plus its own moves
 * since. Each host writes back with "raise to, never lower", so what they write back adds up to
 * the truth for every live host's share.
 *
 * @module
 */
import type { CredentialCounters } from '../types.js';

export class KnownTotals {
  /** Counter fields by credential, as last read. */
  readonly #fields = new Map<string, Map<string, number>>();
  /** This host's own counts by credential, since it started. */
  readonly #own = new Map<string, { s: number; f: number }>();
  /** Cursors as last read (on a full read), and this host's moves since. */
  readonly #cursors = new Map<string, number>();

  counted(credentialId: string, successes: number, failures: number): void {
    let own = this.#own.get(credentialId);
    if (!own) this.#own.set(credentialId, (own = { s: 0, f: 0 }));
    own.s += successes;
    own.f += failures;
  }

  moved(key: string, delta: number): void {
    this.#cursors.set(key, (this.#cursors.get(key) ?? 0) + delta);
  }

  read(credentialId: string, fields: readonly [string, string][]): void {
    this.#fields.set(credentialId, new Map(fields.map(([field, n]) => [field, Number(n)])));
  }

  readCursors(cursors: ReadonlyMap<string, number>): void {
    for (const [key, n] of cursors) this.#cursors.set(key, n);
  }

  /** FLOOR arguments per credential: every field as last read, this host's own as it counted. */
  counterFloors(host: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [id, fields] of this.#fields) {
      out.set(id, [...fields].filter(([field]) => !field.endsWith(`:${host}`)).flatMap(([field, n]) => [field, String(n)]));
    }
    for (const [id, own] of this.#own) {
      const args = out.get(id) ?? [];
      args.push(`s:${host}`, String(own.s), `f:${host}`, String(own.f));
      out.set(id, args);
    }
    return out;
  }

  /** FLOOR arguments for the cursors hash. */
  cursorFloors(): string[] {
    return [...this.#cursors].flatMap(([key, n]) => [key, String(n)]);
  }
}

/** Totals from a counters hash: every `s…` field is successes, every `f…` field failures. */
export function sumCounters(fields: readonly [string, string][]): CredentialCounters {
  const totals = { successes: 0, failures: 0 };
  for (const [field, n] of fields) {
    if (field === 's' || field.startsWith('s:')) totals.successes += Number(n);
    else if (field === 'f' || field.startsWith('f:')) totals.failures += Number(n);
  }
  return totals;
}
