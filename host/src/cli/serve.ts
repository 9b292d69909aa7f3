/**
 * `switchyard serve`: runs the gateway until SIGINT or SIGTERM, then shuts it down gracefully
 * within the config's `shutdownTimeout`.
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
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means the operator will not wait for the drain.
    if (stopping) process.exit(1);
    stopping = true;
    const deadlineMs = gateway.config.shutdownTimeout;
    gateway.log.info({ signal, deadlineMs }, 'shutting down: no new connections, requests in flight may finish');
    gateway.shutdown(deadlineMs).then(
      () => {
        gateway.log.info({}, 'switchyard stopped');
        process.exit(0);
      },
      (err: unknown) => {
        gateway.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
