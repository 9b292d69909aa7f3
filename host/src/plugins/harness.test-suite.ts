/**
 * Shared fixture for the plugin runtime tests: the fake worker's path, a recording logger,
 * polling and a count of the process's live worker threads (to prove pools are destroyed).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import type { PluginLogger } from './item.js';

/** The stand-in worker runtime (see fixtures/fake-worker.mjs). */
export const fakeWorker = fileURLToPath(new URL('./fixtures/fake-worker.mjs', import.meta.url));

export interface LogLine {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

/** A pino-style logger that keeps every line, child bindings merged in. */
export function recordingLogger(): { logger: PluginLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): PluginLogger => {
    const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => lines.push({ ...bindings, ...obj, level, msg });
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return { logger: make({}), lines };
}

/** Polls `check` until it is truthy; fails after `timeoutMs`. */
export async function until(check: () => unknown, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Worker threads alive in this process, terminated ones excluded. */
export function liveWorkers(): number {
  return (process.report.getReport() as { workers: unknown[] }).workers.length;
}

/** A minimal valid `model.route` request. */
export const route = {
  requestId: 'r1',
  sourceFormat: 'openai' as const,
  requestedModel: 'm',
  stream: false,
  headers: {},
  query: {},
  body: {},
  availableProviders: [],
};
