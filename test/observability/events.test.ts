/**
 * `GET /v0/management/events` through HTTP: a `request` event when a request ends, `credential`
 * events when a key starts cooling, is reset and recovers, and the stream's SSE framing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { pluginsDir } from '../helpers/plugins.js';
import { within } from '../helpers/wait.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const MGMT = 'mgmt-events';
const KEYS = ['sk-ev-a', 'sk-ev-b'];
let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({
    managementKey: MGMT,
    routing: { strategy: 'fill-first' },
    providers: [{ name: 'pool', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: KEYS, models: ['gpt-4.1', { name: 'gpt-4.1', alias: 'trigger-exit' }] }],
    // A router that exits its worker on 'trigger-exit': fused, then restarted after 400 ms.
    plugins: { dir: await pluginsDir(['router-exit']), restartDelay: '400ms' },
  });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

/** Reads SSE events from the stream into `seen` until closed. */
async function listen(seen: { event: string; data: any }[], signal: AbortSignal): Promise<Response> {
  const res = await fetch(`${host.url}/v0/management/events`, { headers: { authorization: `Bearer ${MGMT}` }, signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) seen.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return res;
}

async function chat(model = 'gpt-4.1') {
  const res = await fetch(`${host.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.headers.get('x-switchyard-request-id');
}

/** Events arrive within moments; 3 s (or `ms`) bounds the wait. */
const until = (check: () => boolean, ms = 3000) => within(ms, check, 10);

describe('live events', () => {
  it('streams request ends and credential state changes as SSE', async () => {
    const seen: { event: string; data: any }[] = [];
    const abort = new AbortController();
    const res = await listen(seen, abort.signal);
    try {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);

      const id = await chat();
      await until(() => seen.some((e) => e.event === 'request' && e.data.id === id));
      expect(seen.find((e) => e.data.id === id)!.data).toMatchObject({ status: 200, provider: 'pool', credential: 'pool#0', model: 'gpt-4.1', client: expect.any(String) });

      mock.fault({ key: KEYS[0], kind: 'status', status: 429, retryAfter: '1', times: 1 });
      await chat();
      await until(() => seen.some((e) => e.event === 'credential' && e.data.change === 'cooling'));
      expect(seen.find((e) => e.data.change === 'cooling')!.data).toMatchObject({ id: 'pool#0', provider: 'pool', model: 'gpt-4.1', status: 'cooling', reason: expect.stringMatching(/^quota/), nextRetryAt: expect.any(String) });

      const reset = await fetch(`${host.url}/v0/management/credentials/pool%230/reset`, { method: 'POST', headers: { authorization: `Bearer ${MGMT}` } });
      expect(reset.status).toBe(200);
      await until(() => seen.some((e) => e.event === 'credential' && e.data.change === 'reset'));
      expect(seen.find((e) => e.data.change === 'reset')!.data).toMatchObject({ id: 'pool#0', status: 'active' });

      // A 500 benches it again (transient cooldown): another event.
      mock.fault({ key: KEYS[0], kind: 'status', status: 500, times: 1 });
      await chat();
      await until(() => seen.filter((e) => e.data.change === 'cooling').length === 2);
      expect(JSON.stringify(seen)).not.toContain('sk-ev');
    } finally {
      abort.abort();
    }
  });

  it('streams plugin state changes: fused, then restarted', async () => {
    const seen: { event: string; data: any }[] = [];
    const abort = new AbortController();
    await listen(seen, abort.signal);
    try {
      await chat('trigger-exit');
      await until(() => seen.some((e) => e.event === 'plugin' && e.data.change === 'fused'));
      expect(seen.find((e) => e.data.change === 'fused')!.data).toEqual({ id: 'router-exit', state: 'fused', change: 'fused' });
      await until(() => seen.some((e) => e.event === 'plugin' && e.data.change === 'restarted'), 5000);
      expect(seen.find((e) => e.data.change === 'restarted')!.data).toMatchObject({ id: 'router-exit', state: 'active' });
    } finally {
      abort.abort();
    }
  });

  it('answers 401 without the management key', async () => {
    const res = await fetch(`${host.url}/v0/management/events`);
    expect(res.status).toBe(401);
    await res.arrayBuffer();
  });
});
