/**
 * `switchyard plugins check DIR` and `switchyard plugins list`: what the gateway would make of
 * a plugin package, and of the plugins dir its config names, found by doing what the gateway
 * does (discovery, config items, a real worker and the register handshake).
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { describe } from '@switchyard/plugin-sdk/transport';
import { ConfigError, loadConfig } from '../config/load.js';
import { configSchema, type Config } from '../config/schema.js';
import { discoverPlugins, readPlugin } from '../plugins/discovery.js';
import { resolveItem } from '../plugins/item.js';
import { CliError, usageError } from './errors.js';
import { probePlugin, type Probe } from './probe.js';

const configOption = { config: { type: 'string', short: 'c' } } as const;

/** Runs `plugins list|check`; resolves with the exit status. */
export async function plugins(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'list') return list(rest);
  if (command === 'check') return check(rest);
  throw usageError(`plugins: expected "list" or "check"${command === undefined ? '' : `, got "${command}"`}`);
}

/** The `plugins` section of `--config FILE` (or of the usual config file), validated. */
function pluginsConfig(file: string | undefined): { plugins: Config['plugins']; source: string } {
  try {
    const loaded = loadConfig({ file });
    return { plugins: loaded.config.plugins, source: loaded.file ?? 'built-in defaults' };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** Exit 0 when the package at DIR would load as active, else 1 with the reason. */
async function check(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: configOption });
  if (positionals.length !== 1) throw usageError('plugins check: expected one DIR');
  const dir = resolve(positionals[0]!);
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw new CliError(`${dir} is not a folder`);
  const plugin = await readPlugin(dir);
  if ('reason' in plugin) throw new CliError(`${dir} is not a plugin package: ${plugin.reason}`);
  // Without --config the item is the package's defaults; the config file is read only when named.
  const { plugins } = values.config === undefined ? { plugins: configSchema.parse({}).plugins } : pluginsConfig(values.config);
  const configured = plugins.items[plugin.id];
  const item = resolveItem(plugin.defaults, configured);
  // An opt-in or disabled plugin is still checked: the question is whether it can load at all.
  const { snapshot, registration } = await probePlugin(plugin, { ...item, enabled: true }, plugins);
  if (snapshot.state !== 'active' || !registration) {
    const why = snapshot.state === 'rejected' ? `rejected: ${snapshot.reason}` : (snapshot.reason ?? snapshot.state);
    throw new CliError(`plugin ${plugin.id} ${plugin.version} would not load: ${why}`);
  }
  const lines = [
    `ok: plugin ${plugin.id} ${plugin.version} would load as active`,
    `  path          ${plugin.path}`,
    `  protocol      ${plugin.protocolRange} (host speaks ${PROTOCOL_VERSION})`,
    `  capabilities  ${registration.capabilities.join(', ') || 'none'}`,
  ];
  if (registration.executor) {
    const { provider, format, models } = registration.executor;
    lines.push(`  executor      provider ${provider} (${format}), models: ${models.map((m) => m.id).join(', ')}`);
  }
  if (registration.interceptorPhase) lines.push(`  interceptor   phase ${registration.interceptorPhase}`);
  if (!item.enabled) {
    const why = configured ? `the config disables it (plugins.items.${plugin.id}.enabled is false)` : 'opt-in: it loads once plugins.items gives it an item';
    lines.push(`  note          ${why}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** Prints one row per folder of the plugins dir: the state it would get, and the capabilities of those that start. */
async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: configOption });
  const { plugins, source } = pluginsConfig(values.config);
  process.stdout.write(`plugins dir ${plugins.dir} (from ${source})\n`);
  if (!plugins.enabled) {
    process.stdout.write('plugins.enabled is false: no plugin would load\n');
    return 0;
  }
  const found = await discoverPlugins(plugins.dir).catch((err: unknown) => {
    throw new CliError(`the plugins dir ${plugins.dir} cannot be read: ${describe(err)}`);
  });
  const probes = await Promise.all(found.plugins.map((p) => probePlugin(p, resolveItem(p.defaults, plugins.items[p.id]), plugins)));
  const rows = [
    ...probes.map((probe, i) => ({ folder: basename(found.plugins[i]!.path), cells: pluginRow(probe) })),
    ...found.skipped.map((s) => ({ folder: basename(s.path), cells: [basename(s.path), '-', '-', '-', '-', `skipped (${s.reason})`] })),
  ].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
  if (rows.length === 0) process.stdout.write('no plugin folders\n');
  else process.stdout.write(table([['ID', 'VERSION', 'PRIORITY', 'THREADS', 'CAPABILITIES', 'STATE'], ...rows.map((r) => r.cells)]));
  const ids = new Set(found.plugins.map((p) => p.id));
  for (const id of Object.keys(plugins.items)) if (!ids.has(id)) process.stdout.write(`note: plugins.items.${id} names no plugin in the plugins dir\n`);
  return 0;
}

function pluginRow({ snapshot }: Probe): string[] {
  const { id, version, priority, threads, capabilities, state, reason } = snapshot;
  // A plugin that fails to start is what the gateway shows as fused.
  const shown = reason === undefined ? state : `${state} (${reason})`;
  return [id, version, String(priority), String(threads), capabilities.join(',') || '-', shown];
}

/** Plain-text columns, two spaces apart; the last one (the state and its reason) is not padded. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')).join('\n') + '\n';
}
