/**
 * The one plugin dispatch runner every capability uses (fastify's hook runner is the model):
 * plugins are called one after another in dispatch order, each answer is handed to the
 * capability, which may end the run with a result, and a failed call is handed over too, to be
 * skipped or to end the request (a fail-closed guard).
 *
 * @module
 */
import type { ActivePlugin, CallOptions } from './directory.js';

/** What every plugin call made for one request carries. */
export interface CallScope {
  /** The request's abort signal: the plugin gets `$/cancel` when it fires. */
  signal?: AbortSignal;
  /** Serves a handler's `host.executeModel` calls inside the request; told which plugin asks. */
  hostRequest?(pluginId: string, method: string, params: unknown): Promise<unknown>;
  /** Told each call's outcome, for the request's decision trace. */
  observe?(stage: string, pluginId: string, verdict: string, ms: number): void;
}

/** The call options of `plugin`'s calls in `scope`. */
export function callOptions(scope: CallScope, pluginId: string): CallOptions {
  const { signal, hostRequest } = scope;
  return hostRequest ? { signal, onHostRequest: (method, params) => hostRequest(pluginId, method, params) } : { signal };
}

/** What one capability does with its plugins' answers. */
export interface Dispatch<A, R> {
  /** How the trace names this run: `router`, an interceptor phase, `response`. */
  stage?: string;
  /** Calls one plugin; `options` carry the request's abort signal and nested-call handler. */
  call(plugin: ActivePlugin, options: CallOptions): Promise<A>;
  /** Takes one answer; a result other than undefined ends the run with it. May throw to end the request. */
  answer(plugin: ActivePlugin, answer: A): R | undefined;
  /**
   * How the trace words an answer that does not end the run (default `passed`): what an
   * interceptor changed, or that it rejected. Called only for a traced request, before
   * {@link answer}.
   */
  describe?(plugin: ActivePlugin, answer: A): string;
  /** Takes a failed call (thrown, timed out, fused, invalid). Returning skips the plugin; throwing ends the request. */
  failed?(plugin: ActivePlugin, err: unknown): void;
}

/**
 * Runs `plugins` in order until one answer ends the run. Returns that result, or undefined when
 * every plugin was asked (or skipped) without one.
 */
export async function dispatch<A, R>(plugins: readonly ActivePlugin[], scope: CallScope, spec: Dispatch<A, R>): Promise<R | undefined> {
  const observe = scope.observe;
  for (const plugin of plugins) {
    const started = observe ? performance.now() : 0;
    let answer: A;
    try {
      answer = await spec.call(plugin, callOptions(scope, plugin.id));
    } catch (err) {
      observe?.(spec.stage ?? 'plugin', plugin.id, `failed: ${err instanceof Error ? err.message : String(err)}`, performance.now() - started);
      spec.failed?.(plugin, err);
      continue;
    }
    const verdict = observe && spec.describe ? spec.describe(plugin, answer) : 'passed';
    let result: R | undefined;
    try {
      result = spec.answer(plugin, answer);
    } catch (err) {
      // An answer that ends the request (an interceptor's reject) is in the trace too.
      observe?.(spec.stage ?? 'plugin', plugin.id, verdict, performance.now() - started);
      throw err;
    }
    observe?.(spec.stage ?? 'plugin', plugin.id, result === undefined ? verdict : 'handled', performance.now() - started);
    if (result !== undefined) return result;
  }
  return undefined;
}
