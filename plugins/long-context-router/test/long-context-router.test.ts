/**
 * long-context-router through the plugin test harness: the estimate over each client format,
 * the threshold, the model filter and config checking.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HarnessError, type PluginHarness, createHarness } from '@switchyard/plugin-sdk/testing';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));
const TARGET = 'gemini-2.5-pro';

/** `n` characters of text: n / 4 estimated tokens. */
const text = (n: number) => 'a'.repeat(n);

let router: PluginHarness;
beforeAll(async () => {
  router = await createHarness({ plugin: PLUGIN, config: { target: TARGET, thresholdTokens: 1000 } });
});
afterAll(async () => {
  await router?.close();
});

const routed = (tokens: number) => ({ handled: true, targetKind: 'model', target: TARGET, reason: `estimated ${tokens} tokens > 1000` });

describe('long-context-router', () => {
  it('is a model router', () => {
    expect(router.registration.capabilities).toEqual(['modelRouter']);
  });

  describe('estimates about four characters a token', () => {
    it('over OpenAI messages, string and text-part contents, tool calls and tool results', async () => {
      const body = {
        model: 'gpt-4.1',
        messages: [
          { role: 'system', content: text(1000) },
          { role: 'user', content: [{ type: 'text', text: text(1000) }] },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: text(1000) } }] },
          { role: 'tool', tool_call_id: 'c1', content: text(1000) },
        ],
      };
      // 1000 + 1000 + (1 + 1000) + 1000 = 4001 characters: 1001 tokens, rounded up.
      expect(await router.route({ requestedModel: 'gpt-4.1', sourceFormat: 'openai', body })).toEqual(routed(1001));
    });

    it('over the Anthropic system prompt (string or blocks) and message blocks', async () => {
      const body = {
        model: 'claude-sonnet-4-6',
        system: [{ type: 'text', text: text(2000), cache_control: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: text(1000) },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: text(1004) }] }] },
        ],
      };
      expect(await router.route({ requestedModel: 'claude-sonnet-4-6', sourceFormat: 'anthropic', body })).toEqual(routed(1001));
      const short = { ...body, system: text(100) };
      expect(await router.route({ requestedModel: 'claude-sonnet-4-6', sourceFormat: 'anthropic', body: short })).toEqual({ handled: false });
    });

    it('over Gemini contents and systemInstruction', async () => {
      const body = {
        systemInstruction: { parts: [{ text: text(2000) }] },
        contents: [{ role: 'user', parts: [{ text: text(2004) }] }],
      };
      expect(await router.route({ requestedModel: 'gemini-2.5-flash', sourceFormat: 'gemini', body })).toEqual(routed(1001));
      const noSystem = { contents: body.contents };
      expect(await router.route({ requestedModel: 'gemini-2.5-flash', sourceFormat: 'gemini', body: noSystem })).toEqual({ handled: false });
    });

    it('counting tool definitions, whose schemas fill the context like messages do', async () => {
      const schema = { type: 'object', properties: { query: { type: 'string', description: text(4000) } } };
      const openai = { messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'search', parameters: schema } }] };
      const anthropic = { messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'search', input_schema: schema }] };
      const gemini = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], tools: [{ functionDeclarations: [{ name: 'search', parameters: schema }] }] };
      for (const [sourceFormat, body] of [['openai', openai], ['anthropic', anthropic], ['gemini', gemini]] as const) {
        expect(await router.route({ requestedModel: 'small', sourceFormat, body }), sourceFormat).toMatchObject({ handled: true, target: TARGET });
        const withoutTools = { ...body, tools: undefined };
        expect(await router.route({ requestedModel: 'small', sourceFormat, body: withoutTools }), sourceFormat).toEqual({ handled: false });
      }
    });

    it('not counting images: base64 data is not text', async () => {
      const image = text(100_000);
      const bodies = {
        openai: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } }, { type: 'text', text: 'what is this?' }] }] },
        anthropic: { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } }] }] },
        gemini: { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: image } }] }] },
      };
      for (const [sourceFormat, body] of Object.entries(bodies)) {
        expect(await router.route({ requestedModel: 'small', sourceFormat: sourceFormat as 'openai', body }), sourceFormat).toEqual({ handled: false });
      }
    });
  });

  it('passes requests at or under the threshold', async () => {
    const body = { messages: [{ role: 'user', content: text(4000) }] };
    expect(await router.route({ requestedModel: 'gpt-4.1', body })).toEqual({ handled: false });
  });

  it('passes a request already asking for the target', async () => {
    const body = { messages: [{ role: 'user', content: text(10_000) }] };
    expect(await router.route({ requestedModel: TARGET, body })).toEqual({ handled: false });
  });

  it('without a target passes everything, and says so in the log', async () => {
    const idle = await createHarness({ plugin: PLUGIN });
    try {
      const body = { messages: [{ role: 'user', content: text(1_000_000) }] };
      expect(await idle.route({ requestedModel: 'gpt-4.1', body })).toEqual({ handled: false });
      // Log lines travel apart from call results: wait for the setup warning rather than race it.
      await vi.waitFor(() => expect(idle.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('no config.target') })));
    } finally {
      await idle.close();
    }
  });

  it('defaults to a 100000-token threshold', async () => {
    const harness = await createHarness({ plugin: PLUGIN, config: { target: TARGET } });
    try {
      const at = { messages: [{ role: 'user', content: text(400_000) }] };
      expect(await harness.route({ requestedModel: 'gpt-4.1', body: at })).toEqual({ handled: false });
      const over = { messages: [{ role: 'user', content: text(400_001) }] };
      expect(await harness.route({ requestedModel: 'gpt-4.1', body: over })).toMatchObject({ handled: true, reason: 'estimated 100001 tokens > 100000' });
    } finally {
      await harness.close();
    }
  });

  it('applies only to the models in config.models when given', async () => {
    const harness = await createHarness({ plugin: PLUGIN, config: { target: TARGET, thresholdTokens: 10, models: ['gpt-4.1-mini'] } });
    try {
      const body = { messages: [{ role: 'user', content: text(1000) }] };
      expect(await harness.route({ requestedModel: 'gpt-4.1-mini', body })).toMatchObject({ handled: true, target: TARGET });
      expect(await harness.route({ requestedModel: 'gpt-4.1', body })).toEqual({ handled: false });
    } finally {
      await harness.close();
    }
  });

  it('refuses to start with a malformed config', async () => {
    for (const config of [{ target: TARGET, thresholdTokens: 'many' }, { target: 42 }, { target: TARGET, models: 'gpt-4.1' }]) {
      const started = createHarness({ plugin: PLUGIN, config });
      await expect(started, JSON.stringify(config)).rejects.toBeInstanceOf(HarnessError);
      await expect(started).rejects.toMatchObject({ kind: 'crash' });
    }
  });
});
