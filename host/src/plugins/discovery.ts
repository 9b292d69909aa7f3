/**
 * Plugin discovery: every immediate subfolder of the plugins dir holding a `package.json` with a
 * `switchyard` field is a plugin (CONTRACT section 5). Discovery never throws for a bad plugin:
 * folders that are not plugins are skipped, plugins the host cannot run are returned `rejected`
 * with the reason, so one broken package never stops the gateway.
 *
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { pluginItem } from '../config/schema.js';
import type { PartialPluginItem } from './item.js';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';

/** A plugin package found in the plugins dir. */
export interface DiscoveredPlugin {
  /** `switchyard.id`, else the package name without its scope. */
  id: string;
  /** The package version (`0.0.0` when absent). */
  version: string;
  /** Absolute path of the plugin folder. */
  path: string;
  /** Absolute `file:` URL of the entry module (`main`, else `index.js`). */
  entry: string;
  /** `switchyard.protocol` as written. */
  protocolRange: string;
  /** Why the host will not run this plugin; absent when it can. */
  rejected?: string;
  /**
   * The package's own defaults for its config item (`switchyard.defaults`), e.g. a guard that
   * is fail-closed unless the config says otherwise, or a plugin that is opt-in.
   */
  defaults?: PartialPluginItem;
}

/** A subfolder that is not a plugin package, with the reason (for the caller to log). */
export interface SkippedFolder {
  path: string;
  reason: string;
}

/** The result of scanning a plugins dir. */
export interface Discovery {
  /** Plugins in folder-name order, rejected ones included. */
  plugins: DiscoveredPlugin[];
  skipped: SkippedFolder[];
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  switchyard?: { id?: unknown; protocol?: unknown; defaults?: unknown };
}

/**
 * Why `range` is not an acceptable `switchyard.protocol` for a host speaking `hostVersion`, or
 * undefined when it is. A range must pin one major version, so a plugin never claims to speak
 * a protocol generation that does not exist yet.
 */
export function protocolRangeProblem(range: unknown, hostVersion: string = PROTOCOL_VERSION): string | undefined {
  if (typeof range !== 'string' || range.trim() === '') return 'switchyard.protocol is required (a semver range such as "^1.0.0")';
  if (semver.validRange(range) === null) return `switchyard.protocol "${range}" is not a valid semver range`;
  const major = semver.minVersion(range)?.major;
  // Two bounds because semver.subset is strict about prereleases: the first admits "^1.0.0-beta",
  // the second ">=1.0.0 <2.0.0", which subset() counts as letting 2.0.0 prereleases in.
  const pinned = major !== undefined && [`>=${major}.0.0-0 <${major + 1}.0.0-0`, `>=${major}.0.0 <${major + 1}.0.0`].some((r) => semver.subset(range, r));
  if (!pinned) {
    return `switchyard.protocol "${range}" must pin a single major version (e.g. "^1.0.0")`;
  }
  if (!semver.satisfies(hostVersion, range)) {
    return `switchyard.protocol "${range}" does not accept the host protocol version ${hostVersion}`;
  }
  return undefined;
}

/**
 * Scans the immediate subfolders of `dir` (hidden ones excepted) in name order. Of two
 * folders declaring the same id the later one is rejected. Throws only when `dir` itself
 * cannot be read.
 */
export async function discoverPlugins(dir: string, hostVersion: string = PROTOCOL_VERSION): Promise<Discovery> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const result: Discovery = { plugins: [], skipped: [] };
  const seen = new Map<string, string>();
  for (const name of folders) {
    const path = join(root, name);
    const found = await readPlugin(path, hostVersion);
    if ('reason' in found) {
      result.skipped.push(found);
      continue;
    }
    const plugin = found;
    const first = seen.get(plugin.id);
    if (first !== undefined) plugin.rejected ??= `duplicate plugin id "${plugin.id}" (already provided by ${first})`;
    else seen.set(plugin.id, path);
    result.plugins.push(plugin);
  }
  return result;
}

/**
 * Reads one plugin folder the way {@link discoverPlugins} reads each subfolder: a folder that is
 * not a plugin package comes back as a {@link SkippedFolder}, a plugin the host cannot run
 * with its `rejected` reason.
 */
export async function readPlugin(path: string, hostVersion: string = PROTOCOL_VERSION): Promise<DiscoveredPlugin | SkippedFolder> {
  const folder = basename(path);
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as PackageJson;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path, reason: code === 'ENOENT' ? 'no package.json' : `unreadable package.json: ${(err as Error).message}` };
  }
  const sy = pkg.switchyard;
  if (typeof sy !== 'object' || sy === null) return { path, reason: 'package.json has no "switchyard" field' };
  const packageName = typeof pkg.name === 'string' ? pkg.name.replace(/^@[^/]+\//, '') : '';
  const id = typeof sy.id === 'string' && sy.id !== '' ? sy.id : packageName || folder;
  const entryPath = resolve(path, typeof pkg.main === 'string' && pkg.main !== '' ? pkg.main : 'index.js');
  const plugin: DiscoveredPlugin = {
    id,
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    path,
    entry: pathToFileURL(entryPath).href,
    protocolRange: typeof sy.protocol === 'string' ? sy.protocol : '',
  };
  const defaults = packageDefaults(sy.defaults);
  if (typeof defaults === 'string') plugin.rejected = defaults;
  else if (defaults) plugin.defaults = defaults;
  const problem = plugin.rejected ?? protocolRangeProblem(sy.protocol, hostVersion);
  if (problem !== undefined) plugin.rejected ??= problem;
  // Caught here rather than as a worker bootstrap failure, whose message is far less clear.
  else if (!(await stat(entryPath).then((s) => s.isFile(), () => false))) plugin.rejected = `entry module ${entryPath} not found`;
  return plugin;
}

/** `switchyard.defaults`, validated like a config item; a string is why it is invalid. */
function packageDefaults(raw: unknown): PartialPluginItem | string | undefined {
  if (raw === undefined) return undefined;
  const parsed = pluginItem.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return `switchyard.defaults.${issue.path.join('.')}: ${issue.message}`;
}
