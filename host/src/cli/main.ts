#!/usr/bin/env node
/**
 * The `switchyard` command: dispatches to one module per command.
 *
 * @module
 */
import { importCommand } from './import-cliproxyapi/command.js';
import { newPlugin } from './new-plugin.js';
import { CliError } from './errors.js';
import { plugins } from './plugins.js';
import { serve } from './serve.js';

const USAGE = `Usage:
  switchyard serve [--config FILE] [--port N] [--workers N|auto]
      Serve the gateway (default 127.0.0.1:8317). --workers runs N processes on the one port
      (auto: one per core), sharing state, metrics and reloads; 1 or absent: one process.
  switchyard plugins list [--config FILE]
      Show what the config would load from its plugins dir: id, version, priority, threads,
      capabilities and state (active, disabled, rejected, skipped, fused) with the reason.
  switchyard plugins check DIR [--config FILE]
      Validate the plugin package in DIR and start it with its register handshake, as the
      gateway would (with its item from FILE when given). Exit 0 when it would load, else 1.
  switchyard new-plugin NAME --capability router|executor|interceptor|scheduler [--dir PARENT]
      Scaffold a plugin package in PARENT/NAME (default ./NAME), with tests.
  switchyard import cliproxyapi FILE
      Write the switchyard.yaml equivalent to a CLIProxyAPI config.yaml to stdout; each setting
      that could not be carried goes to stderr with the reason. Exit 0 when it wrote a config,
      2 for a file it cannot read or parse.
  switchyard --help
      Show this help.
`;

/** Every command: resolves with the exit status, or nothing for a command that keeps running. */
const commands: Record<string, (args: string[]) => Promise<number | void>> = { serve, plugins, 'new-plugin': newPlugin, import: importCommand };

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
  process.stdout.write(USAGE);
} else if (!Object.hasOwn(commands, command)) {
  process.stderr.write(`switchyard: unknown command '${command}'\n${USAGE}`);
  process.exitCode = 2;
} else {
  try {
    const status = await commands[command]!(rest);
    if (status !== undefined) process.exitCode = status;
  } catch (err) {
    // parseArgs throws these for an unknown option or a missing value: a usage error too.
    const parse = String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (!(err instanceof CliError) && !parse) throw err;
    process.stderr.write(`switchyard: ${(err as Error).message}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 2;
  }
}
