/**
 * The `executor` template: a provider of its own answering the last user message back in the
 * OpenAI format, as one body or as a stream.
 *
 * @module
 */
import type { PluginTemplate } from './template.js';

/** Scaffold of an `executor` plugin. */
export const executor: PluginTemplate = {
  capability: 'executor',
  summary: 'serves a model of its own that answers the last user message back, streamed or not',
  config: () => [['prefix', 'string', '"echo: "', 'text put before the echoed message']],
  exampleConfig: '{ prefix: "you said: " }',
  index: (name) => `/**
 * ${name}: a Switchyard executor. It serves provider \`${name}\` with model \`${name}\`, which
 * answers the last user message back (after \`prefix\`) in the OpenAI chat format, as one
 * body or as a stream. The gateway translates for Anthropic and Gemini clients.
 */

/**
 * The plugin's config: \`plugins.items.${name}.config\` in switchyard.yaml.
 * @typedef {{ prefix?: string }} Config
 * @typedef {import('@switchyard/plugin-sdk').ExecutorRequest} ExecutorRequest
 */

/** The prefix of this worker, read once by setup. */
let prefix = 'echo: ';

/**
 * The text of the last user message of an OpenAI chat body ('' if there is none).
 * @param {any} body
 * @returns {string}
 */
function lastUserText(body) {
  const content = body?.messages?.findLast?.((/** @type {any} */ m) => m?.role === 'user')?.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('') : '';
}

/**
 * The answer text; a request without a user message fails the way an upstream 400 would.
 * @param {ExecutorRequest} req
 */
function answer(req) {
  const text = lastUserText(req.body);
  // Any thrown object with a numeric \`status\` is treated as that upstream HTTP status.
  if (text === '') throw Object.assign(new Error('no user message to echo'), { status: 400 });
  return prefix + text;
}

/**
 * The fields every OpenAI completion object and chunk carries.
 * @param {ExecutorRequest} req
 * @param {string} object
 */
const envelope = (req, object) => ({ id: \`chatcmpl-\${req.requestId}\`, object, created: Math.floor(Date.now() / 1000), model: req.model });

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config | undefined>} */
export default {
  setup(ctx) {
    if (ctx.config?.prefix === undefined) return;
    if (typeof ctx.config.prefix !== 'string') throw new TypeError('config.prefix must be a string');
    prefix = ctx.config.prefix;
  },

  executor: {
    provider: '${name}',
    format: 'openai',
    models: [{ id: '${name}', displayName: '${name} (echo)' }],

    async execute(req) {
      const message = { role: 'assistant', content: answer(req) };
      return { body: { ...envelope(req, 'chat.completion'), choices: [{ index: 0, message, finish_reason: 'stop' }] } };
    },

    async *stream(req, ctx) {
      const text = answer(req);
      /** @param {object} delta @param {string | null} [finishReason] */
      const chunk = (delta, finishReason = null) => ({ ...envelope(req, 'chat.completion.chunk'), choices: [{ index: 0, delta, finish_reason: finishReason }] });
      yield chunk({ role: 'assistant', content: '' });
      // One chunk per word, each keeping its leading space.
      for (const word of text.split(/(?<=\\S)(?=\\s)/)) {
        if (ctx.signal.aborted) return; // the client went away
        yield chunk({ content: word });
      }
      yield chunk({}, 'stop');
    },
  },
};
`,
  test: (name) => `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness } from '@switchyard/plugin-sdk/testing';

// The plugin folder: the harness runs it in a real worker, the way the gateway does.
const plugin = new URL('..', import.meta.url).href;
const body = { model: '${name}', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }] };

let harness;
before(async () => {
  harness = await createHarness({ plugin, config: { prefix: 'echo: ' } });
});
after(() => harness.close());

test('serves its model', () => {
  assert.deepEqual(harness.registration.executor, { provider: '${name}', format: 'openai', models: [{ id: '${name}', displayName: '${name} (echo)' }] });
});

test('answers the last user message', async () => {
  const { body: completion } = await harness.execute({ body });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0].message.content, 'echo: hello there');
});

test('streams the answer word by word', async () => {
  const chunks = await harness.stream({ body });
  assert.equal(chunks.map((c) => c.choices[0].delta.content ?? '').join(''), 'echo: hello there');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
});

test('fails like an upstream 400 without a user message', async () => {
  await assert.rejects(harness.execute({ body: { messages: [] } }), (err) => err.kind === 'error' && err.data.status === 400);
});
`,
};
