/**
 * The module plugin pools load is CommonJS, so piscina's `require()` of it never goes through
 * Node 20's `require()` of an ES module (which now and then aborts the process): it exports the
 * promise of the runtime's call handler, the runtime itself being import()ed.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../transport/generation.js';
import { buildSdk } from './harness.test-suite.js';

describe('the worker bootstrap', () => {
  it('is a CommonJS module exporting the promise of the runtime, imported, not required', async () => {
    buildSdk();
    expect(workerEntry()).toMatch(/bootstrap\.cjs$/);
    const exported: unknown = createRequire(import.meta.url)(workerEntry());
    expect(exported).toBeInstanceOf(Promise);
    // Outside a plugin worker the runtime refuses to start: proof it was really loaded, by import().
    await expect(exported).rejects.toThrow('only runs as the entry of a plugin worker');
  });
});
