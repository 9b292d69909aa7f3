/**
 * Where credential files come from: every `*.json` in `authDir/credentials/` (each names its
 * provider) and the files a provider lists in `credentials:`. The folder is watched: a file
 * added, changed or removed is reported (debounced) so the catalog is rebuilt without a restart.
 * A file that cannot be read is left out with a warning naming it; the others still serve.
 *
 * @module
 */
import { type FSWatcher, mkdirSync, readFileSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { type CredentialFile, parseCredentialFile } from './credential-file.js';

/** Changes of a burst (an editor's save, a write-back's rename) are reported once. */
const DEBOUNCE_MS = 50;

export class CredentialFiles {
  readonly dir: string;
  readonly #warn: (message: string) => void;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Files last reported unreadable, so each is warned about once per change. */
  #warned = new Set<string>();

  /** @param authDir - the config's `authDir`; the folder watched is its `credentials/` */
  constructor(authDir: string, warn: (message: string) => void) {
    this.dir = join(authDir, 'credentials');
    this.#warn = warn;
  }

  /** Every credential file now: the folder's, then the `listed` ones not already in it. */
  scan(listed: readonly string[] = []): CredentialFile[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json')).sort();
    } catch {
      // No folder yet: no files.
    }
    const paths = [...new Set([...names.map((n) => join(this.dir, n)), ...listed])];
    const files: CredentialFile[] = [];
    const warned = new Set<string>();
    for (const path of paths) {
      try {
        files.push(parseCredentialFile(path, readFileSync(path, 'utf8')));
      } catch (err) {
        const message = (err as NodeJS.ErrnoException).code ? `${path}: cannot read (${(err as NodeJS.ErrnoException).code})` : (err as Error).message;
        if (!this.#warned.has(message)) this.#warn(`credential file left out: ${message}`);
        warned.add(message);
      }
    }
    this.#warned = warned;
    return files;
  }

  /** Calls `onChange` (debounced) whenever something in the folder changes; creates the folder. */
  watch(onChange: () => void): void {
    mkdirSync(this.dir, { recursive: true });
    this.#watcher = watch(this.dir, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(onChange, DEBOUNCE_MS);
      this.#timer.unref();
    });
    this.#watcher.unref();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }
}
