/**
 * The watched config file: a valid change applies without restart and without failing the
 * request in flight; an invalid change is ignored and the running config keeps serving.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { openaiClient } from '../helpers/clients.js';
import { type TestHost, startHost } from '../helpers/host.js';

let mock: MockUpstream;
let host: TestHost;
const provider = (models: string[]) => ({ name: 'up', type: 'openai', apiKeys: ['sk-up'], models, baseUrl: mock.baseUrl('openai') });

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ providers: [provider(['gpt-4.1'])] }, { watch: true });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

const ask = (model: string) => openaiClient(host.url).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

it('applies a valid change while a request is in flight, which still completes', async () => {
  mock.fault({ kind: 'slow', delayMs: 600, times: 1 });
  const inFlight = ask('gpt-4.1');
  await mock.waitFor((r) => r.length === 1);
  await host.writeConfig({ providers: [provider(['gpt-4.1-mini'])] });
  await expect.poll(() => host.gateway.config.providers[0]!.models, { timeout: 3000 }).toEqual(['gpt-4.1-mini']);

  const old = await inFlight;
  expect(old.choices[0]!.message.content).toBe('[openai:gpt-4.1] hi');
  const fresh = await ask('gpt-4.1-mini');
  expect(fresh.choices[0]!.message.content).toBe('[openai:gpt-4.1-mini] hi');
  await expect(ask('gpt-4.1')).rejects.toMatchObject({ status: 404 });
});

it('ignores an invalid change and keeps serving', async () => {
  const before = host.gateway.config;
  await host.writeConfig({ providers: [{ name: 'up', type: 'nope' }] });
  await new Promise((r) => setTimeout(r, 400));
  expect(host.gateway.config).toBe(before);
  expect((await ask('gpt-4.1-mini')).choices[0]!.message.content).toBe('[openai:gpt-4.1-mini] hi');
});
