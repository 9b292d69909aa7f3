/**
 * Plugin test setup: copies chosen fixture plugins into a fresh plugins dir, so tests can add,
 * change and remove plugins without touching the fixtures.
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));

/** A new plugins dir holding copies of `names` (fixture folder names). */
export async function pluginsDir(names: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-plugins-'));
  await Promise.all(names.map((name) => addPlugin(dir, name)));
  return dir;
}

/** Copies fixture `name` into `dir` (as a plugin dropped into a running host's dir would be). */
export async function addPlugin(dir: string, name: string): Promise<void> {
  await cp(join(FIXTURES, name), join(dir, name), { recursive: true });
}

/** Polls `fn` until it returns true, at most `timeoutMs`. */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
