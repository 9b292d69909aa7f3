/**
 * The plugin worker runtime (`@switchyard/plugin-sdk/worker`), the piscina `filename` of every
 * plugin pool. At load it routes the console to the host log, imports the plugin named by
 * `workerData`, checks it and runs its `setup` once; any failure there fails the worker's
 * start-up, which piscina turns into an empty pool and the host into a fuse. Its default export
 * serves one host -> plugin call per piscina task.
 *
 * Process-level errors are deliberately not caught: a plugin that crashes its worker must take
 * the worker down, so the host sees the crash and fuses the plugin.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JSONRPCResponse } from './json-rpc.js';
import type { WorkerData } from '../schema.js';
import type { SetupContext, WorkerTask } from '../types.js';
import { openCall } from './call.js';
import { loadDefinition } from './definition.js';
import { createLogger, patchConsole } from './log.js';
import { isThenable } from './rpc-server.js';
import { createServer } from './server.js';

if (!parentPort || !workerData) throw new Error('@switchyard/plugin-sdk/worker only runs as the entry of a plugin worker');

const { pluginId, entry, config } = workerData as WorkerData;
const base: SetupContext = { pluginId, config, log: createLogger(parentPort) };
// Before the import, so lines logged while the plugin module evaluates reach the host too.
patchConsole(base.log);

const plugin = loadDefinition(((await import(entry)) as { default?: unknown }).default, pluginId);
await plugin.definition.setup?.(base);
const server = createServer(plugin, pluginId);

/**
 * Serves one host -> plugin call: answers the JSON-RPC request (null for a notification), at
 * once when the handler answered synchronously.
 */
export default function serveCall({ request, port }: WorkerTask): JSONRPCResponse | null | Promise<JSONRPCResponse | null> {
  const call = openCall(request.method, base, port, request.id ?? null);
  const response = server.receive(request, call);
  if (!isThenable(response)) {
    call.close();
    return response;
  }
  return response.finally(() => call.close());
}
