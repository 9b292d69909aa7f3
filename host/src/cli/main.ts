#!/usr/bin/env node
/**
 * The `switchyard` command.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { Gateway } from '../gateway.js';

const USAGE = `Usage:
  switchyard serve [--config FILE] [--port N]   serve the gateway (default 127.0.0.1:8317)
`;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } } });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) fail(`--port: expected a port number, got ${values.port}`);
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({ file: values.config, port });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const stop = async () => {
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function fail(message: string): never {
  process.stderr.write(`switchyard: ${message}\n`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'serve':
    await serve(rest);
    break;
  case undefined:
  case '-h':
  case '--help':
  case 'help':
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`switchyard: unknown command '${command}'\n${USAGE}`);
    process.exit(2);
}
