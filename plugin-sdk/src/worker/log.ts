/**
 * Plugin logging: `ctx.log` and the worker's console both become `host.log` notifications on
 * `parentPort`, which piscina re-emits as the pool's 'message' event.
 *
 * @module
 */
import { format } from 'node:util';
import type { MessagePort } from 'node:worker_threads';
import { Methods } from '../protocol.js';
import type { LogParams } from '../schema.js';
import type { LogFields, PluginLogger } from '../types.js';

type Level = LogParams['level'];

/** Builds the logger handed to the plugin; every line is posted on `parentPort`. */
export function createLogger(parentPort: MessagePort): PluginLogger {
  const post = (level: Level, message: string, fields?: LogFields): void => {
    // Plain JS plugins may pass anything as the message; the wire wants a string.
    const params: LogParams = { level, message: String(message) };
    if (fields !== undefined) params.fields = fields;
    try {
      parentPort.postMessage({ jsonrpc: '2.0', method: Methods.log, params });
    } catch (error) {
      // Fields that cannot be cloned (a function, a socket) must not fail the handler that logged.
      params.fields = { unserializableFields: String(error) };
      parentPort.postMessage({ jsonrpc: '2.0', method: Methods.log, params });
    }
  };
  return {
    debug: (message, fields) => post('debug', message, fields),
    info: (message, fields) => post('info', message, fields),
    warn: (message, fields) => post('warn', message, fields),
    error: (message, fields) => post('error', message, fields),
  };
}

/**
 * Sends the worker's console to the host log, so a plugin's `console.log` lands in the host's
 * structured log (with the plugin id) instead of interleaving raw text on the host's stdout.
 */
export function patchConsole(log: PluginLogger): void {
  console.log = (...args: unknown[]) => log.info(format(...args));
  console.info = (...args: unknown[]) => log.info(format(...args));
  console.debug = (...args: unknown[]) => log.debug(format(...args));
  console.warn = (...args: unknown[]) => log.warn(format(...args));
  console.error = (...args: unknown[]) => log.error(format(...args));
}
