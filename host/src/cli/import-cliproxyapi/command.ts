/**
 * The `switchyard import cliproxyapi FILE` command: reads and parses the file, writes the config
 * to stdout and the notes (and what the config schema rejects) to stderr.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import { configSchema } from '../../config/schema.js';
import { CliError, usageError } from '../errors.js';
import { importCliproxyapi } from './convert.js';
import { isRecord } from './values.js';
/** Runs `import cliproxyapi FILE`; resolves with the exit status. */
export async function importCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [from, file, ...extra] = positionals;
  if (from !== 'cliproxyapi') throw usageError(`import: expected "cliproxyapi"${from === undefined ? '' : `, got "${from}"`}`);
  if (file === undefined || extra.length > 0) throw usageError('import cliproxyapi: expected one FILE');
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CliError(`${file}: cannot read: ${why}`, 2);
  }
  let doc: unknown;
  try {
    // Go's yaml.v3 (CLIProxyAPI) resolves `<<` merge keys; so do we.
    doc = parseYaml(source, { merge: true }) ?? {};
  } catch (err) {
    throw new CliError(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]!.replace(/:$/, '')}`, 2);
  }
  if (!isRecord(doc)) throw new CliError(`${file}: not a CLIProxyAPI config (expected a mapping at the top level)`, 2);
  const { config, notes } = importCliproxyapi(doc);
  process.stdout.write(stringify(config, { lineWidth: 0 }));
  for (const n of notes) process.stderr.write(`not carried: ${n.key}: ${n.reason}\n`);
  // The config is written anyway: say what the user must fix before Switchyard accepts it.
  const checked = configSchema.safeParse(config);
  if (!checked.success) for (const issue of checked.error.issues) process.stderr.write(`check: ${issue.path.join('.') || '(top level)'}: ${issue.message}\n`);
  return 0;
}
