/**
 * Checks a plugin's default export once, at worker start-up, so a malformed plugin fails to
 * start with a message naming the bad key (a bootstrap failure the host reports), instead of
 * failing every call later.
 *
 * @module
 */
import { z } from 'zod';
import { interceptorPhaseSchema, registerResultSchema, type Capability, type RegisterResult } from '../schema.js';
import type { PluginDefinition } from '../types.js';
import { describeIssues } from './rpc-error.js';

const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', { message: 'expected a function' });

const definitionSchema = z.object({
  setup: fn.optional(),
  shutdown: fn.optional(),
  modelRouter: fn.optional(),
  requestInterceptor: z.object({ phase: interceptorPhaseSchema, intercept: fn }).optional(),
  responseInterceptor: fn.optional(),
  streamInterceptor: fn.optional(),
  scheduler: fn.optional(),
  // The executor's metadata is checked against the very schema `plugin.register` answers with.
  executor: registerResultSchema.shape.executor.unwrap().extend({ execute: fn, stream: fn.optional() }).optional(),
  auth: registerResultSchema.shape.auth.unwrap().extend({ refresh: fn }).optional(),
});

const capabilityKeys: readonly Capability[] = ['modelRouter', 'requestInterceptor', 'responseInterceptor', 'streamInterceptor', 'scheduler', 'executor', 'auth'];

/** A checked plugin: its definition and what `plugin.register` reports about it. */
export interface LoadedPlugin {
  /** The default export, unchanged (handlers are called as its methods, so `this` works). */
  definition: PluginDefinition;
  /** The `plugin.register` answer minus `id` and `protocol`. */
  registration: Omit<RegisterResult, 'id' | 'protocol'>;
}

/** Checks the entry module's default export; throws (failing the worker's start-up) if it is not a plugin. */
export function loadDefinition(value: unknown, pluginId: string): LoadedPlugin {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`plugin ${pluginId}: the entry module's default export must be a plugin definition object`);
  }
  const checked = definitionSchema.safeParse(value);
  if (!checked.success) {
    throw new TypeError(`plugin ${pluginId}: invalid plugin definition: ${describeIssues(checked.error.issues)}`);
  }
  const { requestInterceptor, executor, auth } = checked.data;
  const registration: LoadedPlugin['registration'] = {
    capabilities: capabilityKeys.filter((key) => checked.data[key] !== undefined),
  };
  if (requestInterceptor) registration.interceptorPhase = requestInterceptor.phase;
  if (executor) registration.executor = { provider: executor.provider, format: executor.format, models: executor.models };
  if (auth) registration.auth = { types: auth.types };
  return { definition: value as PluginDefinition, registration };
}
