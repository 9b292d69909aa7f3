/**
 * The `scheduler` template: picks the credential with the fewest failures.
 *
 * @module
 */
import type { PluginTemplate } from './template.js';

/** Scaffold of a `scheduler` plugin. */
export const scheduler: PluginTemplate = {
  capability: 'scheduler',
  summary: 'picks the credential with the fewest failures',
  config: () => [['onTie', '"round-robin" | "fill-first"', '"round-robin"', 'the built-in selector asked when every active credential has failed as often']],
  exampleConfig: '{ onTie: fill-first }',
  index: (name) => `/**
 * ${name}: a Switchyard credential scheduler. For each request it picks, among the active
 * (not cooling) credentials, the one with the fewest failures; when they all have failed as
 * often it hands the choice to the built-in selector \`onTie\`.
 */

/**
 * The plugin's config: \`plugins.items.${name}.config\` in switchyard.yaml.
 * @typedef {{ onTie?: 'round-robin' | 'fill-first' }} Config
 */

/**
 * The tie-breaker of this worker, read once by setup.
 * @type {'round-robin' | 'fill-first'}
 */
let onTie = 'round-robin';

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<Config | undefined>} */
export default {
  setup(ctx) {
    const value = ctx.config?.onTie ?? onTie;
    // Failing setup here makes the gateway report the plugin with this reason.
    if (value !== 'round-robin' && value !== 'fill-first') throw new TypeError('config.onTie must be "round-robin" or "fill-first"');
    onTie = value;
  },

  scheduler(req) {
    const active = req.candidates.filter((c) => c.status === 'active');
    // Only cooling credentials: the built-in selector knows best which one recovers first.
    if (active.length === 0) return { handled: false };
    const best = active.reduce((a, b) => (b.failures < a.failures ? b : a));
    if (active.every((c) => c.failures === best.failures)) return { delegate: onTie };
    return { credentialId: best.id };
  },
};
`,
  test: () => `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness } from '@switchyard/plugin-sdk/testing';

// The plugin folder: the harness runs it in a real worker, the way the gateway does.
const plugin = new URL('..', import.meta.url).href;
const candidate = (id, failures, status = 'active') => ({ id, provider: 'openai', label: id, priority: 0, weight: 1, status, inFlight: 0, successes: 10, failures });

let harness;
before(async () => {
  harness = await createHarness({ plugin, config: { onTie: 'fill-first' } });
});
after(() => harness.close());

test('picks the active credential with the fewest failures', async () => {
  const candidates = [candidate('a', 3), candidate('b', 1), candidate('c', 0, 'cooling')];
  assert.deepEqual(await harness.schedule({ candidates }), { credentialId: 'b' });
});

test('delegates a tie to the configured selector', async () => {
  assert.deepEqual(await harness.schedule({ candidates: [candidate('a', 2), candidate('b', 2)] }), { delegate: 'fill-first' });
});

test('passes when every credential is cooling', async () => {
  assert.deepEqual(await harness.schedule({ candidates: [candidate('a', 1, 'cooling')] }), { handled: false });
});
`,
};
