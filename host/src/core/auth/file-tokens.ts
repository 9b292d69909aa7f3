/**
 * {@link SharedTokens} between the processes of one machine (`serve --workers` with the memory
 * store), in `authDir/.refresh/`: a lease is a lock file created exclusively (taken over once
 * older than its time), a published token a file written atomically. Each worker would
 * otherwise spend the same rotating refresh token on its own.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SharedToken, SharedTokens } from './shared-tokens.js';

export class FileSharedTokens implements SharedTokens {
  readonly #dir: string;
  readonly #holder = randomUUID();

  constructor(authDir: string) {
    this.#dir = join(authDir, '.refresh');
  }

  async get(key: string): Promise<SharedToken | undefined> {
    try {
      const token = JSON.parse(await readFile(this.#token(key), 'utf8')) as SharedToken;
      return token.expiresAt === undefined || token.expiresAt > Date.now() ? token : undefined;
    } catch {
      return undefined;
    }
  }

  async lease(key: string, ms: number): Promise<boolean> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    try {
      const handle = await open(this.#lock(key), 'wx', 0o600);
      await handle.writeFile(`${this.#holder} ${process.pid}`);
      await handle.close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A holder that died leaves its lock: taken over once its process is gone, or its lease is over.
      const [lockedAt, content] = await Promise.all([
        stat(this.#lock(key)).then((s) => s.mtimeMs, () => Date.now()),
        readFile(this.#lock(key), 'utf8').catch(() => ''),
      ]);
      if (Date.now() - lockedAt < ms && alive(Number(content.split(' ')[1]))) return false;
      await rm(this.#lock(key), { force: true });
      return this.lease(key, ms);
    }
  }

  async publish(key: string, token: SharedToken): Promise<void> {
    const tmp = `${this.#token(key)}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(token), { mode: 0o600 });
    await rename(tmp, this.#token(key));
    await this.release(key);
  }

  async release(key: string): Promise<void> {
    const content = await readFile(this.#lock(key), 'utf8').catch(() => '');
    if (content.split(' ')[0] === this.#holder) await rm(this.#lock(key), { force: true });
  }

  #lock(key: string) {
    return join(this.#dir, `${safe(key)}.lock`);
  }
  #token(key: string) {
    return join(this.#dir, `${safe(key)}.json`);
  }
}

/** Whether process `pid` of this machine still runs (a lock of unknown holder counts as held). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A state key as a file name (`provider:file:hash`). */
function safe(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_');
}
