/**
 * A plugin's config item and what it resolves from (config over package defaults over built-in
 * ones), and the plugin-wide timing and logger every part of the plugin runtime shares.
 *
 * @module
 */

/** One `plugins.items` entry of the config (durations in ms). */
export interface PluginItem {
  enabled: boolean;
  priority: number;
  threads: number;
  callTimeout?: number;
  env: string[];
  failClosed: boolean;
  config: unknown;
  heapMb?: number;
}

/** What a config item or a package's `switchyard.defaults` may say; unsaid fields fall back. */
export type PartialPluginItem = { [K in keyof PluginItem]?: PluginItem[K] | undefined };

/** The item of a plugin folder neither the config nor the package says anything about. */
export function defaultPluginItem(): PluginItem {
  return { enabled: true, priority: 0, threads: 1, env: [], failClosed: false, config: undefined, heapMb: 128 };
}

/**
 * The config's item over the package's defaults over the built-in ones. An opt-in plugin (its
 * package says `enabled: false`) loads once the config gives it an item: writing one means it is
 * wanted, unless the item itself says `enabled: false`.
 */
export function resolveItem(packageDefaults: PartialPluginItem | undefined, configured: PartialPluginItem | undefined): PluginItem {
  const item = defaultPluginItem() as unknown as Record<string, unknown>;
  for (const layer of [packageDefaults, configured]) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) item[key] = value;
  }
  if (configured !== undefined && configured.enabled === undefined) item.enabled = true;
  return item as unknown as PluginItem;
}

/** Plugin-wide durations in ms. */
export interface PluginTiming {
  callTimeout: number;
  executorTimeout: number;
  restartDelay: number;
}

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;
/** The pino-style logger plugins are logged with. */
export interface PluginLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug?: LogFn;
  trace?: LogFn;
  child(bindings: Record<string, unknown>): PluginLogger;
}

