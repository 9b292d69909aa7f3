/**
 * What the request pipeline needs from the plugin runtime: the active plugins per capability,
 * in dispatch order, and a way to call them. The supervisor implements it; keeping the
 * pipeline on this narrow interface keeps it free of pools, fuses and workers.
 *
 * @module
 */
import type { Capability, Format, HostMethod, InterceptorPhase, methodSchemas } from '@switchyard/plugin-sdk';
import type { z } from 'zod';

export interface CallOptions {
  /** Overrides the plugin's call deadline (executors use `plugins.executorTimeout`). */
  timeoutMs?: number;
  /** Aborted when the client goes away: the plugin gets `$/cancel`. */
  signal?: AbortSignal;
  /** Executor streams: each event the plugin yields. */
  onChunk?: (event: unknown) => void;
  /** Serves the `host.executeModel` calls the handler makes, as part of the request it serves. */
  onHostRequest?: (method: string, params: unknown) => Promise<unknown>;
}

/**
 * An active plugin as the pipeline sees it. Nested `host.executeModel` calls a handler makes
 * are served by the call's `onHostRequest`, else by whoever built the directory (the gateway).
 */
export interface ActivePlugin {
  readonly id: string;
  readonly priority: number;
  /** Whether a throwing request interceptor fails the request (503) instead of being skipped. */
  readonly failClosed: boolean;
  readonly interceptorPhase?: InterceptorPhase;
  readonly executor?: { provider: string; format: Format; models: readonly { id: string }[] };
  /** The credential types an auth plugin refreshes. */
  readonly auth?: { types: readonly string[] };
  /** The SDK protocol version the plugin registered with: which methods it serves (`stream.interceptBatch` from 1.2). */
  readonly protocol?: string;
  call<M extends HostMethod>(method: M, params: z.input<(typeof methodSchemas)[M]['params']>, options?: CallOptions): Promise<z.output<(typeof methodSchemas)[M]['result']>>;
}

export interface PluginDirectory {
  /** Active plugins having `capability`, by priority descending then id ascending. */
  active(capability: Capability): readonly ActivePlugin[];
  get(id: string): ActivePlugin | undefined;
  /** Plugins configured fail-closed that cannot run now: requests must fail (503) until they can. */
  failClosedDown(): readonly string[];
}

/** The directory of a host with no plugins. */
export const NO_PLUGINS: PluginDirectory = { active: () => [], get: () => undefined, failClosedDown: () => [] };
