/**
 * header-router through the plugin test harness: allow-list matching, provider/model versus
 * bare model targets, and what is ignored (and logged).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HarnessError, type PluginHarness, createHarness } from '@switchyard/plugin-sdk/testing';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));
const PROVIDERS = ['openai', 'anthropic', 'openrouter'];

let router: PluginHarness;
beforeAll(async () => {
  router = await createHarness({ plugin: PLUGIN, config: { allow: ['openai/*', 'anthropic/claude-*', 'gpt-4.1', 'openrouter/meta-llama/*', 'meta-llama/*'] } });
});
afterAll(async () => {
  await router?.close();
});

const route = (target: string | undefined, harness = router) =>
  harness.route({ requestedModel: 'gpt-4.1-mini', headers: target === undefined ? {} : { 'x-switchyard-target': target }, availableProviders: PROVIDERS });

const warnings = (harness = router) => harness.logs.filter((l) => l.level === 'warn');
/** Log lines travel apart from call results, so one may land just after the answer: wait for it. */
const eventually = (assertion: () => void) => vi.waitFor(assertion, { timeout: 1000 });

describe('header-router', () => {
  it('is a model router', () => {
    expect(router.registration.capabilities).toEqual(['modelRouter']);
  });

  it('sends an allowed provider/model to that provider and model', async () => {
    expect(await route('openai/gpt-4.1')).toEqual({ handled: true, targetKind: 'provider', target: 'openai', targetModel: 'gpt-4.1', reason: 'x-switchyard-target: openai/gpt-4.1' });
    expect(await route('anthropic/claude-sonnet-4-6')).toMatchObject({ targetKind: 'provider', target: 'anthropic', targetModel: 'claude-sonnet-4-6' });
  });

  it('keeps the slashes of a model name after the provider', async () => {
    expect(await route('openrouter/meta-llama/llama-3.3-70b')).toMatchObject({ targetKind: 'provider', target: 'openrouter', targetModel: 'meta-llama/llama-3.3-70b' });
  });

  it('sends an allowed bare model name, or a slash name whose prefix is no provider here, to that model', async () => {
    expect(await route('gpt-4.1')).toEqual({ handled: true, targetKind: 'model', target: 'gpt-4.1', reason: 'x-switchyard-target: gpt-4.1' });
    expect(await route('meta-llama/llama-3.3-70b')).toMatchObject({ targetKind: 'model', target: 'meta-llama/llama-3.3-70b' });
  });

  it('matches patterns in full: * is the only wildcard, and dots are dots', async () => {
    const before = warnings().length;
    for (const target of ['anthropic/haiku', 'gpt-4.1-mini', 'gpt-4x1', 'xopenai/gpt-4.1', 'gemini/gemini-2.5-pro']) {
      expect(await route(target), target).toEqual({ handled: false });
    }
    await eventually(() => expect(warnings().length - before).toBe(5));
  });

  it('ignores a disallowed target with a warning naming it', async () => {
    expect(await route('gemini/gemini-2.5-pro')).toEqual({ handled: false });
    await eventually(() => expect(warnings().at(-1)).toMatchObject({ message: expect.stringContaining('not allowed'), fields: { target: 'gemini/gemini-2.5-pro' } }));
  });

  it('passes quietly when the header is absent or empty', async () => {
    const before = router.logs.length;
    expect(await route(undefined)).toEqual({ handled: false });
    expect(await route('  ')).toEqual({ handled: false });
    expect(router.logs.length).toBe(before);
  });

  it('allows nothing by default', async () => {
    const closed = await createHarness({ plugin: PLUGIN });
    try {
      expect(await route('openai/gpt-4.1', closed)).toEqual({ handled: false });
      await eventually(() =>
        expect(warnings(closed).map((l) => l.message)).toEqual([expect.stringContaining('empty config.allow'), expect.stringContaining('not allowed')]),
      );
    } finally {
      await closed.close();
    }
  });

  it('allows everything with "*", when the operator wants that', async () => {
    const open = await createHarness({ plugin: PLUGIN, config: { allow: ['*'] } });
    try {
      expect(await route('anthropic/claude-opus-4-1', open)).toMatchObject({ handled: true, targetKind: 'provider', target: 'anthropic' });
    } finally {
      await open.close();
    }
  });

  it('refuses to start with a malformed allow-list', async () => {
    await expect(createHarness({ plugin: PLUGIN, config: { allow: 'openai/*' } })).rejects.toBeInstanceOf(HarnessError);
  });
});
