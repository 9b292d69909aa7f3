/**
 * Every client format against every upstream type, stream and not (32 combinations), through
 * the official SDKs: asserts what reached the upstream (model, credential, system prompt,
 * history) and what came back (text, usage, finish).
 */
import { describe, expect, it } from 'vitest';
import { type ClientFormat, HISTORY, QUESTION, SYSTEM, converse } from '../helpers/clients.js';
import { UPSTREAM_KEYS, UPSTREAM_MODEL, mockProviders, responsesProvider, useGateway } from '../helpers/host.js';
import { systemOf, turnsOf } from '../helpers/upstream-view.js';

const FORMATS: ClientFormat[] = ['openai', 'anthropic', 'gemini', 'openai-responses'];
const FINISH: Record<ClientFormat, string> = { openai: 'stop', anthropic: 'end_turn', gemini: 'STOP', 'openai-responses': 'completed' };
/** The mock's own format for each upstream type: it serves the Responses API beside Chat Completions. */
const MOCK_FORMAT = { openai: 'openai', anthropic: 'anthropic', gemini: 'gemini', 'openai-responses': 'openai' } as const;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const INPUT_WORDS = words(SYSTEM) + HISTORY.reduce((n, h) => n + words(h.text), 0) + words(QUESTION);

const gateway = useGateway({}, (mock) => [...mockProviders(mock), responsesProvider(mock)]);

describe.each(FORMATS)('%s client', (client) => {
  describe.each(FORMATS)('to %s upstream', (upstream) => {
    it.each([false, true])('stream=%s: carries system prompt, history, model and credential, and translates the answer back', async (stream) => {
      gateway.mock.reset();
      const model = UPSTREAM_MODEL[upstream];
      const reply = await converse(client, gateway.host.url, model, stream);

      expect(gateway.mock.requests).toHaveLength(1);
      const rec = gateway.mock.requests[0]!;
      expect(rec.format).toBe(MOCK_FORMAT[upstream]);
      expect(rec.model).toBe(model);
      expect(rec.stream).toBe(stream);
      expect(rec.apiKey).toBe(UPSTREAM_KEYS[upstream]);
      expect(systemOf(rec)).toBe(SYSTEM);
      expect(turnsOf(rec)).toEqual([
        { role: 'user', text: HISTORY[0]!.text },
        { role: 'assistant', text: HISTORY[1]!.text },
        { role: 'user', text: QUESTION },
      ]);

      expect(reply.text).toBe(`[${MOCK_FORMAT[upstream]}:${model}] ${QUESTION}`);
      expect(reply.finish).toBe(FINISH[client]);
      expect(reply.inputTokens).toBe(INPUT_WORDS);
      expect(reply.outputTokens).toBe(words(reply.text));
    });
  });
});
