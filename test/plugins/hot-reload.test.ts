/**
 * The plugins dir is watched: a plugin dropped in while requests flow starts routing within
 * seconds, removing it stops it, and no request fails on the way.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { addPlugin, pluginsDir, until } from '../helpers/plugins.js';

let mock: MockUpstream;
let host: TestHost;
let dir: string;

beforeAll(async () => {
  mock = await startMockUpstream();
  dir = await pluginsDir(['executor-stream']);
  host = await startHost({
    providers: [
      { name: 'openai', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-o'], models: ['gpt-4.1', { name: 'gpt-4.1', alias: 'trigger-equal' }] },
      { name: 'anthropic', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-a'], models: ['claude-sonnet-4-6'] },
    ],
    plugins: { dir },
  });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

/** Sends requests 4 at a time until `stop()`, bounded to 2,000; records every status and router. */
function traffic() {
  const seen: { status: number; router: string | null }[] = [];
  let stopped = false;
  const worker = async () => {
    while (!stopped && seen.length < 2000) {
      const res = await fetch(`${host.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({ model: 'trigger-equal', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
      seen.push({ status: res.status, router: res.headers.get('x-switchyard-router') });
    }
  };
  const done = Promise.all([worker(), worker(), worker(), worker()]);
  return {
    seen,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

it('a plugin dropped in while requests flow starts routing; removing it stops it; no request fails', async () => {
  const flow = traffic();
  await until(() => flow.seen.length >= 20, 5000, 'traffic');
  expect(flow.seen.every((s) => s.router === null)).toBe(true);

  await addPlugin(dir, 'router-equal-b');
  await until(() => flow.seen.slice(-4).every((s) => s.router === 'router-equal-b'), 10_000, 'the new router to decide');

  await rm(join(dir, 'router-equal-b'), { recursive: true });
  const mark = flow.seen.length;
  await until(() => flow.seen.length > mark + 8 && flow.seen.slice(-4).every((s) => s.router === null), 10_000, 'the removed router to stop');

  await flow.stop();
  expect(flow.seen.filter((s) => s.status !== 200)).toEqual([]);
  expect(flow.seen.length).toBeLessThanOrEqual(2000);
});
