/**
 * Waiting in tests: a sleep, and polling for a condition within a bound. The poll is fine
 * (2 ms by default) so a test can hold the product to a bound of tens of milliseconds.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it holds; throws when `ms` have passed first. */
export async function within(ms: number, check: () => boolean | Promise<boolean>, everyMs = 2): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await sleep(everyMs);
  }
}
