/**
 * `switchyard serve`: runs the gateway until SIGINT or SIGTERM, then shuts it down gracefully
 * within the config's `shutdownTimeout`.
 *
 * With `--workers N` (N > 1, or `auto`: one per core) this process becomes the primary of N
 * worker processes (`../workers/primary.ts`) that each run the whole gateway on the same
 * address; node:cluster forks them with the same arguments, so each lands back here and takes
 * the worker path below.
 *
 * @module
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, type LoadOptions, loadConfig } from '../config/load.js';
import { Gateway, type GatewayOptions } from '../gateway.js';
import { createLogger } from '../log.js';
import { runPrimary } from '../workers/primary.js';
import { workerLink } from '../workers/worker.js';
import { CliError, usageError } from './errors.js';

/** Starts the gateway with `--config FILE` / `--port N` / `--workers N|auto` and keeps it running. */
export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, workers: { type: 'string', short: 'w' } },
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw usageError(`--port: expected a port number, got ${values.port}`);
  const workers = workerCount(values.workers);
  const load: LoadOptions = { file: values.config, port };
  if (cluster.isWorker) return serveWorker(load);
  if (workers > 1) return servePrimary(load, workers);
  const gateway = await start(load);
  stopOnSignals(gateway);
}

/** `--workers`: absent or 1 is one process; `auto` is one per core. */
function workerCount(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  if (!/^\d+$/.test(value) || Number(value) < 1) throw usageError(`--workers: expected a whole number of at least 1 or 'auto', got ${value}`);
  return Number(value);
}

async function start(options: GatewayOptions): Promise<Gateway> {
  try {
    return await Gateway.start(options);
  } catch (err) {
    throw asCliError(err);
  }
}

/** An invalid config ends the command with status 2 and its message; anything else as it is. */
function asCliError(err: unknown): unknown {
  return err instanceof ConfigError ? new CliError(err.message, 2) : err;
}

/** Calls `first` on the first SIGINT or SIGTERM; a second one exits at once. */
function onSignals(first: (signal: NodeJS.Signals) => void): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal means the operator will not wait for the drain.
    if (signalled) process.exit(1);
    signalled = true;
    first(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Shuts the gateway down on the first SIGINT or SIGTERM; a second one exits at once. */
function stopOnSignals(gateway: Gateway): void {
  onSignals(graceful(gateway));
}

/** A function that stops `gateway` gracefully, once, then ends the process (0, or 1 if the shutdown failed). */
function graceful(gateway: Gateway): (reason: string) => void {
  let stopping = false;
  return (reason) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = gateway.config.shutdownTimeout;
    gateway.log.info({ signal: reason, deadlineMs }, 'shutting down: no new connections, requests in flight may finish');
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
}

/**
 * The primary: checks the config once (an invalid one exits 2 here, not once per worker), then
 * runs the workers until they have all stopped.
 */
async function servePrimary(load: LoadOptions, workers: number): Promise<void> {
  let initial: number;
  let stateDir: string | undefined;
  try {
    const { config } = loadConfig(load);
    initial = config.shutdownTimeout;
    // With Redis the workers share through it; with the memory store the primary holds the state.
    stateDir = config.state.store === 'redis' ? undefined : config.authDir;
  } catch (err) {
    throw asCliError(err);
  }
  const shutdownTimeout = () => {
    // The workers drain with the config in force, which may have changed since the start.
    try {
      return loadConfig(load).config.shutdownTimeout;
    } catch {
      return initial;
    }
  };
  const code = await runPrimary({ workers, log: createLogger(), shutdownTimeout, stateDir });
  process.exit(code);
}

/**
 * A worker: the whole gateway, sharing state, metrics and reloads with the others through the
 * primary. It stops when the primary says so, or on its own signal: when the terminal's Ctrl-C
 * or a service manager signals the whole process group, the worker gets it besides the
 * primary's message, and only a second signal of its own ends it at once.
 */
async function serveWorker(load: LoadOptions): Promise<void> {
  const log: FastifyBaseLogger = createLogger().child({ worker: cluster.worker!.id });
  const link = workerLink((err, what) => log.error({ reason: err.message }, what))!;
  let stop: ((reason: string) => void) | undefined;
  let asked: string | undefined;
  const request = (reason: string) => (stop ? stop(reason) : (asked ??= reason));
  onSignals(request);
  link.onShutdown(() => request('primary'));
  let gateway: Gateway;
  try {
    // With Redis configured the gateway shares through Redis and leaves the primary's stores unused.
    gateway = await Gateway.start({ ...load, logger: log, stateBackend: link.stateBackend(), conversations: link.conversationStore(), worker: link });
  } catch (err) {
    // The IPC channel keeps this process alive: it must end itself, and its status tells the primary why.
    process.stderr.write(`switchyard: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  stop = graceful(gateway);
  if (asked !== undefined) stop(asked);
}
