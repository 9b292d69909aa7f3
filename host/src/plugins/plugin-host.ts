/**
 * All plugins of the gateway: loads the plugins dir, applies config changes, watches the dir
 * and keeps the per-capability dispatch lists (CONTRACT sections 5 and 6). Every change is
 * applied without failing in-flight calls: a changed plugin gets a new pool generation and a
 * removed one drains before it goes.
 *
 * @module
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Capability } from '@switchyard/plugin-sdk';
import { discoverPlugins, type DiscoveredPlugin } from './discovery.js';
import type { PluginObserver } from './observer.js';
import { describe } from '@switchyard/plugin-sdk/transport';
import { PluginSupervisor, type PluginSnapshot, type SupervisorOptions } from './supervisor.js';
import { type PartialPluginItem, type PluginItem, type PluginLogger, type PluginTiming, resolveItem } from './item.js';

/** The parsed `plugins` section of the config. */
export interface PluginsConfig extends PluginTiming {
  enabled: boolean;
  dir: string;
  items: Record<string, PartialPluginItem>;
}

export interface PluginHostOptions {
  /** Absolute path of the worker runtime module (plugin-sdk's `dist/worker/entry.js`). */
  workerFilename: string;
  logger: PluginLogger;
  /** Fired whenever the set of active plugins, their capabilities, registrations or priorities change. */
  onChange?(): void;
  /** Serves the `host.executeModel` requests of plugin `pluginId` when a call brings no handler of its own. */
  onHostRequest?(pluginId: string, method: string, params: unknown): Promise<unknown>;
  /** Quiet time after the last file event in a plugin folder before it is reloaded (default 200 ms). */
  watchDebounceMs?: number;
  /** Health-check and registration timing of every supervisor. */
  supervisor?: Pick<SupervisorOptions, 'pingInterval' | 'pingTimeout' | 'registerTimeout'>;
  /** Told of every plugin's calls and fuses, for metrics. */
  observer?: PluginObserver;
}

const byId = (a: PluginSupervisor, b: PluginSupervisor) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Owns every plugin supervisor. */
export class PluginHost {
  private readonly supervisors = new Map<string, PluginSupervisor>();
  /** Unloaded plugins still draining, so close() can end them too. */
  private readonly retiring = new Set<PluginSupervisor>();
  /** Shared with every supervisor, which reads it at each use: a config change applies in place. */
  private readonly timing: PluginTiming = { callTimeout: 0, executorTimeout: 0, restartDelay: 0 };
  private readonly cache = new Map<Capability, readonly PluginSupervisor[]>();
  private downCache: readonly string[] | undefined;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private config?: PluginsConfig;
  private watcher?: FSWatcher;
  private watching = false;
  private signature = '[]';
  /** Loads, applies and rescans run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: PluginHostOptions) {}

  /** Discovers and starts the plugins; resolves when each is active, fused, disabled or rejected. */
  load(config: PluginsConfig): Promise<void> {
    return this.apply(config);
  }

  /** Applies a changed `plugins` config: changed items reconfigure, removed folders unload, new ones start. */
  apply(config: PluginsConfig): Promise<void> {
    return this.serial(async () => {
      const moved = this.config?.dir !== config.dir || this.config?.enabled !== config.enabled;
      this.config = config;
      Object.assign(this.timing, { callTimeout: config.callTimeout, executorTimeout: config.executorTimeout, restartDelay: config.restartDelay });
      if (moved && this.watching) this.openWatcher();
      await this.sync(undefined);
    });
  }

  /** Watches the plugins dir from now on: added, changed and removed plugin folders apply by themselves. */
  watch(): void {
    this.watching = true;
    this.openWatcher();
  }

  /** Every plugin's management view, by id. */
  list(): PluginSnapshot[] {
    return [...this.supervisors.values()].sort(byId).map((s) => s.snapshot());
  }

  /** The supervisor of plugin `id`, in any state (a call to one that is not active throws `unavailable`). */
  get(id: string): PluginSupervisor | undefined {
    return this.supervisors.get(id);
  }

  /** Management reset of one plugin; undefined when there is no such plugin. */
  async reset(id: string): Promise<PluginSnapshot | undefined> {
    const sup = this.supervisors.get(id);
    await sup?.reset();
    return sup?.snapshot();
  }

  /** Active plugins with `capability`, by priority descending then id. Cached: do not mutate. */
  active(capability: Capability): readonly PluginSupervisor[] {
    let list = this.cache.get(capability);
    if (!list) {
      list = [...this.supervisors.values()]
        .filter((s) => s.state === 'active' && s.registration?.capabilities.includes(capability))
        .sort((a, b) => b.item.priority - a.item.priority || byId(a, b));
      this.cache.set(capability, list);
    }
    return list;
  }

  /**
   * Enabled plugins configured `failClosed` that are not active (fused, failed to start,
   * rejected): a guard that cannot run must stop requests, not wave them through. Cached.
   */
  failClosedDown(): readonly string[] {
    let down = this.downCache;
    if (!down) {
      down = [...this.supervisors.values()].filter((s) => s.item.enabled && s.item.failClosed && s.state !== 'active').map((s) => s.id).sort();
      this.downCache = down;
    }
    return down;
  }

  /** Stops watching and destroys every plugin now. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    for (const timer of this.pending.values()) clearTimeout(timer);
    const all = [...this.supervisors.values(), ...this.retiring];
    this.supervisors.clear();
    this.retiring.clear();
    await Promise.all(all.map((s) => s.close()));
    await this.queue;
    this.changed();
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch((err: unknown) => this.opts.logger.error({ err: describe(err) }, 'plugin update failed'));
    return run;
  }

  /** Brings the supervisors in line with the dir and config; `folder` is the one a file event named. */
  private async sync(folder: string | undefined): Promise<void> {
    const config = this.config;
    if (!config || this.closed) return;
    const found = config.enabled ? await this.discover(config.dir, folder) : [];
    // A dir unreadable for a moment during a file event must not unload everything.
    if (!found || this.closed) return;
    const ids = new Set(found.map((p) => p.id));
    for (const [id, sup] of this.supervisors) {
      if (ids.has(id)) continue;
      // An event for one folder unloads only that folder's plugin, or one whose folder is gone:
      // another folder may be mid-save (its package.json briefly unreadable), and its own event follows.
      if (folder !== undefined && basename(sup.plugin.path) !== folder && existsSync(sup.plugin.path)) continue;
      this.supervisors.delete(id);
      this.opts.logger.info({ plugin: id }, 'plugin unloaded');
      // Not awaited: draining waits for in-flight calls, which must not hold up other updates.
      this.retiring.add(sup);
      void sup.shutdown().then(() => this.retiring.delete(sup));
    }
    const work: Promise<void>[] = [];
    const seen = new Set<string>();
    for (const plugin of found) {
      // A duplicate id cannot be listed beside the plugin that has it: it is only logged.
      if (seen.has(plugin.id)) {
        const { id, path, rejected: reason } = plugin;
        if (folder === undefined || basename(path) === folder) this.opts.logger.warn({ plugin: id, path, reason }, 'plugin rejected');
        continue;
      }
      seen.add(plugin.id);
      const item = resolveItem(plugin.defaults, config.items[plugin.id]);
      const sup = this.supervisors.get(plugin.id);
      if (!sup) work.push(this.add(plugin, item));
      else if (basename(plugin.path) === folder || JSON.stringify(plugin) !== JSON.stringify(sup.plugin)) work.push(sup.reload(plugin, item));
      else if (JSON.stringify(item) !== JSON.stringify(sup.item)) work.push(sup.reconfigure(item));
    }
    if (folder === undefined) {
      for (const id of Object.keys(config.items)) if (!ids.has(id)) this.opts.logger.warn({ plugin: id }, 'configured plugin not found in the plugins dir');
    }
    this.changed();
    await Promise.all(work);
  }

  private async discover(dir: string, folder: string | undefined): Promise<DiscoveredPlugin[] | undefined> {
    try {
      const { plugins, skipped } = await discoverPlugins(dir);
      for (const s of skipped) {
        if (folder === undefined || basename(s.path) === folder) this.opts.logger.warn({ path: s.path, reason: s.reason }, 'plugin folder skipped');
      }
      return plugins;
    } catch (err) {
      this.opts.logger.warn({ dir, err: describe(err) }, 'plugins dir cannot be read');
      return folder === undefined ? [] : undefined;
    }
  }

  private add(plugin: DiscoveredPlugin, item: PluginItem): Promise<void> {
    const { onHostRequest } = this.opts;
    const sup = new PluginSupervisor({
      ...this.opts.supervisor,
      plugin,
      item,
      workerFilename: this.opts.workerFilename,
      logger: this.opts.logger,
      timing: this.timing,
      onHostRequest: onHostRequest && ((method, params) => onHostRequest(plugin.id, method, params)),
      onStateChange: () => this.changed(),
      observer: this.opts.observer,
    });
    this.supervisors.set(plugin.id, sup);
    return sup.start();
  }

  private openWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (!this.config?.enabled || this.closed) return;
    const dir = resolve(this.config.dir);
    try {
      this.watcher = watch(dir, { recursive: true }, (_event, filename) => {
        const folder = filename?.split(/[\\/]/)[0];
        if (folder && !folder.startsWith('.')) this.schedule(folder);
      });
      this.watcher.on('error', (err) => this.opts.logger.warn({ dir, err: describe(err) }, 'plugins dir watch failed'));
    } catch (err) {
      this.opts.logger.warn({ dir, err: describe(err) }, 'plugins dir cannot be watched');
    }
  }

  /** Debounces file events per plugin folder: an npm install or an editor save is many events. */
  private schedule(folder: string): void {
    clearTimeout(this.pending.get(folder));
    const timer = setTimeout(() => {
      this.pending.delete(folder);
      void this.serial(() => this.sync(folder)).catch(() => undefined);
    }, this.opts.watchDebounceMs ?? 200);
    this.pending.set(folder, timer.unref());
  }

  /** Invalidates the dispatch lists and tells the owner when the active set really changed. */
  private changed(): void {
    this.cache.clear();
    this.downCache = undefined;
    const active = [...this.supervisors.values()].filter((s) => s.state === 'active').sort(byId);
    const signature = JSON.stringify(active.map((s) => [s.id, s.item.priority, s.registration]));
    if (signature === this.signature) return;
    this.signature = signature;
    try {
      this.opts.onChange?.();
    } catch (err) {
      this.opts.logger.error({ err: describe(err) }, 'plugin change listener failed');
    }
  }
}
