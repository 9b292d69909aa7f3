/**
 * The `router` template: a model router sending requests whose model starts with a prefix to
 * another model.
 *
 * @module
 */
import type { PluginTemplate } from './template.js';

/** Scaffold of a `modelRouter` plugin. */
export const router: PluginTemplate = {
  capability: 'modelRouter',
  summary: 'routes requests whose model starts with a prefix to another model',
  config: () => [
    ['prefix', 'string', '"fast-"', 'a request whose model starts with this is routed'],
    ['model', 'string', '"echo"', 'the model such a request is sent to (any model the gateway serves)'],
  ],
  exampleConfig: '{ prefix: "fast-", model: gpt-4.1-mini }',
  index: (name) => `/**
 * ${name}: a Switchyard model router. A request whose model starts with \`prefix\` is sent to
 * \`model\` instead; any other request passes on to the next router, then to the normal path.
 */

/**
 * The plugin's config: \`plugins.items.${name}.config\` in switchyard.yaml.
 * @typedef {{ prefix?: string, model?: string }} Config
 */

const DEFAULTS = { prefix: 'fast-', model: 'echo' };

/** The settings of this worker, read once by setup. */
let settings = DEFAULTS;

/**
 * The config over the defaults. Throws on a bad value, which fails setup: the gateway then
 * reports the plugin with this reason instead of routing with a broken config.
 * @param {Config | undefined} config
 */
function readConfig(config) {
  const merged = { ...DEFAULTS, ...config };
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value !== 'string' || value === '') throw new TypeError(\`config.\${key} must be a non-empty string\`);
  }
  return merged;
}

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config | undefined>} */
export default {
  setup(ctx) {
    settings = readConfig(ctx.config);
    ctx.log.info('routing by prefix', settings);
  },

  modelRouter(req) {
    if (!req.requestedModel.startsWith(settings.prefix)) return { handled: false };
    return { handled: true, targetKind: 'model', target: settings.model, reason: \`model starts with "\${settings.prefix}"\` };
  },
};
`,
  test: () => `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness } from '@switchyard/plugin-sdk/testing';

// The plugin folder: the harness runs it in a real worker, the way the gateway does.
const plugin = new URL('..', import.meta.url).href;

let harness;
before(async () => {
  harness = await createHarness({ plugin, config: { prefix: 'fast-', model: 'gpt-4.1-mini' } });
});
after(() => harness.close());

test('routes a model with the prefix to the configured model', async () => {
  assert.deepEqual(await harness.route({ requestedModel: 'fast-chat' }), {
    handled: true,
    targetKind: 'model',
    target: 'gpt-4.1-mini',
    reason: 'model starts with "fast-"',
  });
});

test('passes on any other model', async () => {
  assert.deepEqual(await harness.route({ requestedModel: 'gpt-4.1' }), { handled: false });
});

test('refuses to start with a bad config', async () => {
  await assert.rejects(createHarness({ plugin, config: { prefix: 42 } }), { name: 'HarnessError', kind: 'crash' });
});
`,
};
