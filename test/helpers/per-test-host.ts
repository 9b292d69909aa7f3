/**
 * The lifecycle most gateway tests share: one mock upstream for the file, and a fresh host per
 * test (started with the test's own config, closed after it), the mock's faults and records reset
 * between tests.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { type LogLines, type TestHost, startHost } from './host.js';

export interface PerTestHost {
  /** The file's mock upstream (after `beforeAll`). */
  readonly mock: MockUpstream;
  /** The current test's host (after `start`). */
  readonly host: TestHost;
  /** Starts this test's host; it is closed after the test. */
  start(config: Record<string, unknown>, options?: { logs?: LogLines }): Promise<TestHost>;
}

export function mockWithHostPerTest(): PerTestHost {
  let mock: MockUpstream | undefined;
  let host: TestHost | undefined;
  beforeAll(async () => {
    mock = await startMockUpstream();
  });
  afterEach(async () => {
    await host?.close();
    host = undefined;
    mock?.reset();
  });
  afterAll(async () => {
    await mock?.close();
  });
  return {
    get mock() {
      return mock!;
    },
    get host() {
      return host!;
    },
    async start(config, options) {
      host = await startHost(config, options);
      return host;
    },
  };
}
