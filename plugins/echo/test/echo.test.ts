/**
 * echo through the plugin test harness: a real worker, the real runtime, the real RPC schema.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PluginHarness, createHarness } from '@switchyard/plugin-sdk/testing';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));

let echo: PluginHarness;
beforeAll(async () => {
  echo = await createHarness({ plugin: PLUGIN });
});
afterAll(async () => {
  await echo?.close();
});

const conversation = (last: unknown, extra: Record<string, unknown> = {}) => ({
  model: 'echo',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: 'first answer' },
    { role: 'user', content: last },
  ],
  ...extra,
});

type Chunk = { object: string; model: string; choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage?: Record<string, number> };

describe('echo', () => {
  it('registers an openai-format executor for provider echo, model echo', () => {
    expect(echo.registration.capabilities).toEqual(['executor']);
    expect(echo.registration.executor).toMatchObject({ provider: 'echo', format: 'openai', models: [{ id: 'echo' }] });
  });

  it('answers the last user message as a chat.completion, usage counted in words', async () => {
    const { body } = await echo.execute({ requestId: 'r1', model: 'echo', body: conversation('What is the capital of France?') });
    expect(body).toMatchObject({
      id: 'chatcmpl-echo-r1',
      object: 'chat.completion',
      model: 'echo',
      choices: [{ index: 0, message: { role: 'assistant', content: 'What is the capital of France?' }, finish_reason: 'stop' }],
      // prompt: 3 + 2 + 2 + 6 words over every message; completion: the 6 echoed.
      usage: { prompt_tokens: 13, completion_tokens: 6, total_tokens: 19 },
    });
  });

  it('joins the text parts of an array content and ignores the other parts', async () => {
    const parts = [{ type: 'text', text: 'look at ' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'this' }];
    const { body } = await echo.execute({ model: 'echo', body: conversation(parts) });
    expect((body as any).choices[0].message.content).toBe('look at this');
  });

  it('cuts the reply at max_tokens words with finish_reason length', async () => {
    const { body } = await echo.execute({ model: 'echo', body: conversation('one two three four', { max_tokens: 2 }) });
    expect((body as any).choices[0]).toMatchObject({ message: { content: 'one two' }, finish_reason: 'length' });
    expect((body as any).usage.completion_tokens).toBe(2);
  });

  it('answers an empty text when there is no user message', async () => {
    const { body } = await echo.execute({ model: 'echo', body: { model: 'echo', messages: [{ role: 'system', content: 'only a system prompt' }] } });
    expect((body as any).choices[0].message.content).toBe('');
  });

  it('streams chunk objects: role, one per word keeping its spaces, finish, then usage with no choices', async () => {
    const events = (await echo.stream({ requestId: 'r2', model: 'echo', stream: true, body: conversation('Hello  wide world') })) as Chunk[];
    expect(events.every((e) => e.object === 'chat.completion.chunk' && e.model === 'echo')).toBe(true);
    expect(events[0]!.choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    const words = events.slice(1, -2).map((e) => e.choices[0]!.delta.content);
    expect(words).toEqual(['Hello', '  wide', ' world']);
    expect(events.at(-2)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    expect(events.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
  });

  it('streams finish_reason length when max_tokens cuts the reply', async () => {
    const events = (await echo.stream({ model: 'echo', stream: true, body: conversation('a b c', { max_completion_tokens: 1 }) })) as Chunk[];
    expect(events.slice(1, -2).map((e) => e.choices[0]!.delta.content)).toEqual(['a']);
    expect(events.at(-2)!.choices[0]!.finish_reason).toBe('length');
  });
});
