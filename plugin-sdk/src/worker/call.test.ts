import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { PluginLogger } from '../types.js';
import { openCall } from './call.js';

const log = { debug() {}, info() {}, warn() {}, error() {} } as unknown as PluginLogger;
const base = { pluginId: 'p', config: { limit: 3 }, log };

describe('a call\'s ctx', () => {
  it('carries the setup context, one signal made on first read, and keeps them through a spread', () => {
    const call = openCall('model.route', base, undefined, 7);
    const { ctx } = call;
    expect([ctx.pluginId, ctx.config, ctx.log]).toEqual(['p', { limit: 3 }, log]);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.signal).toBe(ctx.signal);
    const spread = { ...ctx };
    expect(Object.keys(spread).sort()).toEqual(['config', 'host', 'log', 'pluginId', 'signal']);
    expect(spread.signal).toBe(ctx.signal);
    expect(call.cancelled).toBe(false);
    call.close();
  });

  it('refuses host callbacks in a call that has none, and in one that has ended', async () => {
    const none = openCall('model.route', base, undefined, null);
    await expect(none.ctx.host.executeModel({})).rejects.toThrow(/unavailable in this handler \(model\.route\)/);
    const ended = openCall('model.route', base, undefined, 8);
    ended.close();
    await expect(ended.ctx.host.executeModel({})).rejects.toThrow(/has ended/);
  });

  it('aborts its signal when the host sends $/cancel on the call\'s port', async () => {
    const { port1, port2 } = new MessageChannel();
    const call = openCall('executor.execute', base, port2, 9);
    const aborted = new Promise((resolve) => call.ctx.signal.addEventListener('abort', resolve));
    port1.postMessage({ jsonrpc: '2.0', method: '$/cancel' });
    await aborted;
    expect(call.cancelled).toBe(true);
    call.close();
    port1.close();
  });
});
