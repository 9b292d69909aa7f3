import { describe, expect, expectTypeOf, it } from 'vitest';
import { definePlugin, UpstreamError, type PluginContext, type PluginDefinition } from './index.js';

describe('definePlugin', () => {
  it('returns the definition unchanged and types ctx.config', () => {
    const definition: PluginDefinition<{ target: string }> = {
      modelRouter: (_req, ctx) => ({ handled: true, targetKind: 'model', target: ctx.config.target }),
      executor: { provider: 'p', format: 'openai', models: [{ id: 'm' }], execute: async () => ({ body: {} }) },
    };
    const plugin = definePlugin(definition);
    expect(plugin).toBe(definition);
    expectTypeOf(plugin).toEqualTypeOf<PluginDefinition<{ target: string }>>();
    expectTypeOf<Parameters<NonNullable<typeof plugin.modelRouter>>[1]>().toEqualTypeOf<PluginContext<{ target: string }>>();
  });

  it('rejects answers the wire would reject', () => {
    definePlugin({
      // @ts-expect-error targetKind must be one of the schema's kinds
      modelRouter: () => ({ handled: true, targetKind: 'nowhere' }),
    });
    // @ts-expect-error an executor needs a format
    definePlugin({ executor: { provider: 'p', models: [], execute: async () => ({ body: {} }) } });
  });
});

describe('UpstreamError', () => {
  it('carries the status, the message and the cool-down', () => {
    const error = new UpstreamError(429, 'slow', { retryAfterMs: 1000 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'UpstreamError', status: 429, message: 'slow', retryAfterMs: 1000 });
    expect(new UpstreamError(503)).toMatchObject({ status: 503, message: 'upstream status 503' });
    expect('retryAfterMs' in new UpstreamError(503)).toBe(false);
  });
});
