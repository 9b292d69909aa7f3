/**
 * The `interceptor` template: a beforeAuth request interceptor that tags requests with a header
 * and turns away those containing a blocked word.
 *
 * @module
 */
import type { PluginTemplate } from './template.js';

/** Scaffold of a `requestInterceptor` plugin. */
export const interceptor: PluginTemplate = {
  capability: 'requestInterceptor',
  summary: 'tags every request with a header and rejects requests containing a blocked word',
  config: (name) => [
    ['header', 'string', `"x-${name}"`, 'the header added to every request it lets through'],
    ['blockedWord', 'string', '"forbidden"', 'a request with this word in any text of its body is rejected with 403 (case-insensitive)'],
  ],
  exampleConfig: '{ header: x-checked, blockedWord: "project-x" }',
  index: (name) => `/**
 * ${name}: a Switchyard request interceptor, run before authentication and routing
 * (\`beforeAuth\`) on the client's own body. A request with \`blockedWord\` in any text of its
 * body is rejected with 403, without reaching an upstream; any other one is tagged with
 * \`header\`.
 */

/**
 * The plugin's config: \`plugins.items.${name}.config\` in switchyard.yaml.
 * @typedef {{ header?: string, blockedWord?: string }} Config
 */

const DEFAULTS = { header: 'x-${name}', blockedWord: 'forbidden' };

/** The settings of this worker, read once by setup. */
let settings = DEFAULTS;

/**
 * The config over the defaults. Throws on a bad value, which fails setup: the gateway then
 * reports the plugin with this reason instead of filtering with a broken config.
 * @param {Config | undefined} config
 */
function readConfig(config) {
  const merged = { ...DEFAULTS, ...config };
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value !== 'string' || value === '') throw new TypeError(\`config.\${key} must be a non-empty string\`);
  }
  return { header: merged.header.toLowerCase(), blockedWord: merged.blockedWord.toLowerCase() };
}

/**
 * Every string inside a body, whatever its API format.
 * @param {unknown} value
 * @returns {Generator<string>}
 */
function* texts(value) {
  if (typeof value === 'string') yield value;
  else if (value !== null && typeof value === 'object') for (const inner of Object.values(value)) yield* texts(inner);
}

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config | undefined>} */
export default {
  setup(ctx) {
    settings = readConfig(ctx.config);
  },

  requestInterceptor: {
    phase: 'beforeAuth',
    intercept(req, ctx) {
      for (const text of texts(req.body)) {
        if (!text.toLowerCase().includes(settings.blockedWord)) continue;
        ctx.log.warn('request rejected', { requestId: req.requestId });
        const error = { message: \`the request contains the blocked word "\${settings.blockedWord}"\`, type: 'policy_violation' };
        return { reject: { status: 403, body: { error } } };
      }
      return { headers: { [settings.header]: 'checked' } };
    },
  },
};
`,
  test: (name) => `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness } from '@switchyard/plugin-sdk/testing';

// The plugin folder: the harness runs it in a real worker, the way the gateway does.
const plugin = new URL('..', import.meta.url).href;
const chat = (content) => ({ model: 'gpt-4.1', messages: [{ role: 'user', content }] });

let harness;
before(async () => {
  harness = await createHarness({ plugin, config: { blockedWord: 'Secret' } });
});
after(() => harness.close());

test('runs before authentication', () => {
  assert.equal(harness.registration.interceptorPhase, 'beforeAuth');
});

test('tags a request it lets through', async () => {
  assert.deepEqual(await harness.interceptRequest({ body: chat('hello') }), { headers: { 'x-${name}': 'checked' } });
});

test('rejects a request containing the blocked word, whatever its case', async () => {
  const answer = await harness.interceptRequest({ body: chat('tell me the SECRET plan') });
  assert.equal(answer.reject.status, 403);
  assert.match(answer.reject.body.error.message, /blocked word "secret"/);
  assert.equal(harness.logs.at(-1).message, 'request rejected');
});
`,
};
