import type { PluginDefinition } from './types.js';

/**
 * Declares a plugin. Returns `definition` unchanged: it only gives the object its types, so a
 * plain object default export works the same.
 *
 * @example
 * ```ts
 * export default definePlugin<{ target: string }>({
 *   modelRouter: (req, ctx) => ({ handled: true, targetKind: 'model', target: ctx.config.target }),
 * });
 * ```
 */
export function definePlugin<Config = unknown>(definition: PluginDefinition<Config>): PluginDefinition<Config> {
  return definition;
}
