/**
 * Finds what the harness runs: a plugin package folder (its `main`, else `index.js`) or an
 * entry module, given as a path or a `file:` URL.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The plugin to start: its id and the `file:` URL of its entry module. */
export interface PluginTarget {
  pluginId: string;
  entry: string;
}

interface PackageJson {
  name?: unknown;
  main?: unknown;
  switchyard?: { id?: unknown };
}

/**
 * Resolves `plugin` (relative paths against the working directory). The id follows the host's
 * rule: `switchyard.id`, else the package name without its scope, else the folder name; an
 * entry module given directly is named after its file.
 */
export async function resolvePlugin(plugin: string): Promise<PluginTarget> {
  const path = plugin.startsWith('file:') ? fileURLToPath(plugin) : resolve(plugin);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`plugin ${plugin}: no such file or folder`);
  if (!info.isDirectory()) return { pluginId: basename(path, extname(path)), entry: pathToFileURL(path).href };
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as PackageJson;
  } catch (err) {
    throw new Error(`plugin ${plugin}: cannot read its package.json: ${(err as Error).message}`);
  }
  const id = pkg.switchyard?.id;
  const name = typeof pkg.name === 'string' ? pkg.name.replace(/^@[^/]+\//, '') : '';
  const main = typeof pkg.main === 'string' && pkg.main !== '' ? pkg.main : 'index.js';
  return { pluginId: typeof id === 'string' && id !== '' ? id : name || basename(path), entry: pathToFileURL(resolve(path, main)).href };
}
