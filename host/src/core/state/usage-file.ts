/**
 * Persists a {@link UsageLedger} to `<dir>/usage.json`, so usage survives restarts. Usage grows
 * with every minute of traffic and changes with every request, so it lives apart from
 * `state.json` (written every second) and is written on a slower beat: at most every
 * `intervalMs` while it changes, and on close. A crash loses at most that much usage.
 *
 * @module
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { USAGE_FIELDS, type UsageLedger, type UsageRow } from './usage.js';

/** A row as the file keeps it: `[minute, client, model, provider, credential, ...counts]`. */
type FileRow = [number, string, string, string, string, ...number[]];

interface UsageFileContent {
  version: 1;
  rows: FileRow[];
}

export class UsageFile {
  readonly #file: string;
  readonly #ledger: UsageLedger;
  readonly #intervalMs: number;
  readonly #onError: (err: Error) => void;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;

  constructor(dir: string, ledger: UsageLedger, options: { intervalMs?: number; onError: (err: Error) => void }) {
    this.#file = join(dir, 'usage.json');
    this.#ledger = ledger;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#onError = options.onError;
  }

  /** Adds the file's rows to the ledger; a missing file is an empty one, a bad one is reported and skipped. */
  async restore(): Promise<void> {
    const text = await readFile(this.#file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.#onError(err);
    });
    if (text === undefined) return;
    try {
      const content = JSON.parse(text) as UsageFileContent;
      if (content?.version !== 1 || !Array.isArray(content.rows)) throw new Error('not a usage file');
      const rows = content.rows.map(fromFileRow);
      for (const row of rows) if (row) this.#ledger.add(row);
    } catch (err) {
      this.#onError(new Error(`ignoring unreadable usage file ${this.#file}: ${(err as Error).message}`));
    }
  }

  /** The ledger changed: it is written within `intervalMs`. */
  changed(): void {
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Writes now if anything changed; never rejects (a failure goes to `onError` and is retried on the next change). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#writing = this.#write().catch((err: Error) => {
      this.#dirty = true;
      this.#onError(err);
    });
    await this.#writing;
    this.#writing = undefined;
  }

  /** Writes what is pending and stops the timer. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #write(): Promise<void> {
    const tmp = `${this.#file}.${process.pid}.tmp`;
    const content: UsageFileContent = { version: 1, rows: this.#ledger.all().map(toFileRow) };
    try {
      await writeFile(tmp, JSON.stringify(content));
      await rename(tmp, this.#file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  }
}

function toFileRow(row: UsageRow): FileRow {
  return [row.minute, row.client, row.model, row.provider, row.credential, ...USAGE_FIELDS.map((f) => row[f])];
}

/** A file row back as a row; undefined for one this build cannot read. */
function fromFileRow(value: unknown): UsageRow | undefined {
  if (!Array.isArray(value) || value.length !== 5 + USAGE_FIELDS.length) return undefined;
  const [minute, client, model, provider, credential, ...counts] = value as unknown[];
  if (typeof minute !== 'number' || ![client, model, provider, credential].every((s) => typeof s === 'string')) return undefined;
  if (!counts.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) return undefined;
  const row = { minute, client, model, provider, credential } as UsageRow;
  USAGE_FIELDS.forEach((field, i) => (row[field] = counts[i] as number));
  return row;
}
