/**
 * Every client format against every upstream type, stream and not (18 combinations), through
 * the official SDKs: asserts what reached the upstream (model, credential, system prompt,
 * history) and what came back (text, usage, finish).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';
import { type ClientFormat, HISTORY, QUESTION, SYSTEM, converse } from '../helpers/clients.js';
import { type TestHost, UPSTREAM_KEYS, UPSTREAM_MODEL, mockProviders, startHost } from '../helpers/host.js';
import { systemOf, turnsOf } from '../helpers/upstream-view.js';

const FORMATS: ClientFormat[] = ['openai', 'anthropic', 'gemini'];
const FINISH: Record<ClientFormat, string> = { openai: 'stop', anthropic: 'end_turn', gemini: 'STOP' };
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const INPUT_WORDS = words(SYSTEM) + HISTORY.reduce((n, h) => n + words(h.text), 0) + words(QUESTION);

let mock: MockUpstream;
let host: TestHost;

beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ providers: mockProviders(mock) });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

describe.each(FORMATS)('%s client', (client) => {
  describe.each(FORMATS)('to %s upstream', (upstream) => {
    it.each([false, true])('stream=%s: carries system prompt, history, model and credential, and translates the answer back', async (stream) => {
      mock.reset();
      const model = UPSTREAM_MODEL[upstream];
      const reply = await converse(client, host.url, model, stream);

      expect(mock.requests).toHaveLength(1);
      const rec = mock.requests[0]!;
      expect(rec.format).toBe(upstream);
      expect(rec.model).toBe(model);
      expect(rec.stream).toBe(stream);
      expect(rec.apiKey).toBe(UPSTREAM_KEYS[upstream]);
      expect(systemOf(rec)).toBe(SYSTEM);
      expect(turnsOf(rec)).toEqual([
        { role: 'user', text: HISTORY[0]!.text },
        { role: 'assistant', text: HISTORY[1]!.text },
        { role: 'user', text: QUESTION },
      ]);

      expect(reply.text).toBe(`[${upstream}:${model}] ${QUESTION}`);
      expect(reply.finish).toBe(FINISH[client]);
      expect(reply.inputTokens).toBe(INPUT_WORDS);
      expect(reply.outputTokens).toBe(words(reply.text));
    });
  });
});
