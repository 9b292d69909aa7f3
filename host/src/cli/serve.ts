/**
 * `switchyard serve`: runs the gateway until SIGINT or SIGTERM.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { Gateway } from '../gateway.js';
import { CliError, usageError } from './errors.js';

/** Starts the gateway with `--config FILE` / `--port N` and keeps it running. */
export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } } });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw usageError(`--port: expected a port number, got ${values.port}`);
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({ file: values.config, port });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  const stop = async () => {
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
