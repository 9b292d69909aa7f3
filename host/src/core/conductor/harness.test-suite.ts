/**
 * Shared fixture for the conductor and chain unit tests: the core built from a real config
 * (in-memory state, upstreams that are never called) and a scripted attempt function that
 * records which credentials were tried and answers per credential id.
 *
 * @module
 */
import { type Config, configSchema } from '../../config/schema.js';
import type { GatewayError } from '../../errors/registry.js';
import { UpstreamError } from '../../upstream/errors.js';
import type { Upstream } from '../../upstream/upstream.js';
import { Catalog } from '../catalog.js';
import { resolveChain } from '../chain.js';
import { MemoryStateStore } from '../state/memory-store.js';
import type { ModelState } from '../state/types.js';
import { Conductor, type RunResult } from './conductor.js';
import type { PoolMember } from './pool.js';

/** Attempts are scripted: an upstream call means the test went wrong. */
const NO_UPSTREAM = new Proxy({} as Upstream, {
  get: (_target, name) => {
    // Asked of every credential at a pick: a static key is always available.
    if (name === 'unavailable') return undefined;
    throw new Error(`the conductor fixture called its upstream (${String(name)})`);
  },
});

/** The part of a runtime the core's tests need. */
export interface Runtime {
  config: Config;
  catalog: Catalog;
  conductor: Conductor;
}

/** A provider entry of the config; `keys` become `apiKeys`, everything else passes through. */
export function provider(name: string, keys: number | string[], rest: Record<string, unknown> = {}): Record<string, unknown> {
  const apiKeys = typeof keys === 'number' ? Array.from({ length: keys }, (_, i) => `${name}-k${i}`) : keys;
  return { name, type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKeys, models: ['m'], ...rest };
}

export interface Fixture {
  rt: Runtime;
  store: MemoryStateStore;
  /** Requests in flight by credential key, as the store counts them now. */
  readonly inFlight: Map<string, number>;
}

/** Parses `input` with the real config schema (defaults applied) and builds a runtime over it. */
export function runtime(input: Record<string, unknown>): Fixture {
  const config = configSchema.parse(input);
  const store = new MemoryStateStore({});
  const catalog = new Catalog(config, [], { upstreamFor: () => NO_UPSTREAM, store });
  return {
    rt: { config, catalog, conductor: new Conductor(config, { store }) },
    store,
    get inFlight() {
      return store.snapshot().inFlight;
    },
  };
}

/** The state-store key of credential `id` (`provider#index`). */
export function keyOf(rt: Runtime, id: string): string {
  const [name, index] = id.split('#');
  const credential = rt.catalog.providers.get(name!)?.credentials[Number(index)];
  if (!credential) throw new Error(`no credential ${id}`);
  return credential.key;
}

/** Puts credential `id` in cooldown for `model` for `ms` from now (negative: already over). */
export function cool(fx: Fixture, id: string, model: string, ms: number, state: Partial<ModelState> = {}): number {
  const until = Date.now() + ms;
  // Put as given: a negative `ms` stands for time passing, which the extend-only rule would refuse.
  fx.store.putModelState(keyOf(fx.rt, id), model, { until, reason: 'quota', backoffLevel: 0, status: 429, ...state });
  return until;
}

/** The cooldown of credential `id` for `model`. */
export function stateOf(fx: Fixture, id: string, model: string): ModelState | undefined {
  return fx.store.modelState(keyOf(fx.rt, id), model);
}

/** `'ok'` succeeds; anything else is thrown as is. */
export type Step = 'ok' | unknown;

export const http = (status: number, message = `${status} boom`, retryAfterMs?: number) =>
  new UpstreamError('http', message, status, retryAfterMs);
export const network = (message = 'ECONNRESET') => new UpstreamError('network', message);

/**
 * An attempt function answering per credential id: a single step always, a list one step per
 * call (the last repeats). Unlisted credentials succeed. The script may be changed between runs.
 */
export function scripted(script: Record<string, Step | Step[]> = {}) {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  const attempt = async (member: PoolMember): Promise<string> => {
    calls.push(member.id);
    const n = counts.get(member.id) ?? 0;
    counts.set(member.id, n + 1);
    const entry = script[member.id] ?? 'ok';
    const step = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)] : entry;
    if (step === 'ok') return `${member.id}:${member.model}`;
    throw step;
  };
  return { calls, attempt, script };
}

/** Resolves `model` and runs `attempt` over its chain. */
export function run<T>(
  fx: Fixture,
  model: string,
  attempt: (member: PoolMember) => Promise<T>,
  options: { sessionId?: string; signal?: AbortSignal } = {},
): Promise<RunResult<T>> {
  const chain = resolveChain(fx.rt.catalog, fx.rt.config.models, model);
  const ctx = { requestedModel: model, signal: options.signal ?? new AbortController().signal, sessionId: options.sessionId };
  return fx.rt.conductor.run(chain, ctx, attempt);
}

/** The rejection of `promise`; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected the promise to reject');
}
