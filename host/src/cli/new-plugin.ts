/**
 * `switchyard new-plugin NAME --capability router|executor|interceptor|scheduler [--dir PARENT]`:
 * scaffolds a plugin package that loads, checks and tests green as generated.
 *
 * @module
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import semver from 'semver';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { CliError, usageError } from './errors.js';
import { scaffold, templates } from './templates/index.js';

/** A plugin id: also the package name and, for an executor, a valid provider key. */
const PLUGIN_ID = /^[a-z0-9][a-z0-9._-]*$/;

/** Creates PARENT/NAME with package.json, index.js, test/plugin.test.js and README.md. */
export async function newPlugin(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { capability: { type: 'string', short: 'c' }, dir: { type: 'string', short: 'd' } },
  });
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw usageError('new-plugin: expected one NAME');
  if (!PLUGIN_ID.test(name)) throw usageError(`new-plugin: "${name}" is not a valid plugin id (lower-case letters, digits, ".", "_", "-", starting with a letter or digit)`);
  const template = values.capability !== undefined && Object.hasOwn(templates, values.capability) ? templates[values.capability] : undefined;
  if (!template) throw usageError(`new-plugin: --capability must be one of ${Object.keys(templates).join(', ')}`);

  const folder = resolve(values.dir ?? process.cwd(), name);
  if (!(await isEmptyOrMissing(folder))) throw new CliError(`${folder} already exists and is not empty; nothing was written`);
  const files = scaffold({
    name,
    template,
    protocolRange: `^${semver.major(PROTOCOL_VERSION)}.0.0`,
    // The real path of this checkout's SDK (require.resolve follows the workspace link).
    sdkDir: dirname(createRequire(import.meta.url).resolve('@switchyard/plugin-sdk/package.json')),
  });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(folder, path)), { recursive: true });
    await writeFile(join(folder, path), text);
  }

  const shown = relative(process.cwd(), folder) || '.';
  process.stdout.write(`Created plugin "${name}" (${values.capability}: ${template.summary}) in ${folder}

Next steps:
  cd ${shown}
  npm install                          # links @switchyard/plugin-sdk for the tests
  npm test                             # runs test/plugin.test.js against the plugin in a real worker
  switchyard plugins check .           # validates it and runs its register handshake, as the gateway will
Then put the folder in the gateway's plugins dir (or point plugins.dir at ${dirname(folder)})
and configure it under plugins.items.${name}: see ${join(shown, 'README.md')}.
`);
}

async function isEmptyOrMissing(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder)).length === 0;
  } catch (err) {
    // ENOTDIR (a file by that name) is as much in the way as a full folder.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
}
