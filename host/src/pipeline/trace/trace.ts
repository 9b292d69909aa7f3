/**
 * The decision trace of one request: why it went where it went. Always on, so it is cheap and
 * bounded: plugin verdicts (routers, interceptors) with their times, the chain's candidates in
 * order with each credential's state when the conductor turned to it and why a candidate was
 * skipped, the credential picked and why, every attempt with the cooldown it caused, fallback
 * hops, what translation dropped and where the time went. Names credentials by id and
 * candidates as `provider/model`; never holds a key or a body.
 *
 * @module
 */
import type { Attempt } from '../../core/conductor/outcome.js';
import type { Pool, PoolMember } from '../../core/conductor/pool.js';
import type { PickReason, RunTrace } from '../../core/conductor/trace.js';
import { isCooling } from '../../core/conductor/cooldown.js';
import type { StateStore } from '../../core/state/types.js';
import type { IRUsage } from '../../formats/ir.js';
import type { TraceBodies } from './bodies.js';

/** Most entries kept per list: a request that retries more than this keeps its first ones. */
const MAX_ENTRIES = 32;
/** Upstream messages are cut to this length. */
const MAX_REASON = 200;

/** Why a candidate of the chain was not tried. */
export type SkipReason = 'cooling' | 'excluded' | 'lower-tier' | 'unavailable' | 'deadline';

export interface CredentialView {
  id: string;
  status: 'active' | 'cooling' | 'lower-tier';
  nextRetryAt?: string;
  reason?: string;
}

export interface Candidate {
  provider: string;
  model: string;
  skipped?: { reason: SkipReason; until?: string };
  /** Every credential (explain), or in a trace only those not active, at most 32. */
  credentials: CredentialView[];
  /** In a trace: how many credentials were active (left out of `credentials`). */
  active?: number;
}

export interface PluginVerdict {
  plugin: string;
  /** `router`, `beforeAuth`, `afterAuth`, `response`. */
  stage: string;
  /**
   * `handled` (its answer ended the stage), `passed`, `changed: <paths>` (an interceptor's
   * headers and body fields, never their values), `rejected: <status>`, or `failed: <why>`
   * (threw, timed out, fused).
   */
  verdict: string;
  ms: number;
}

export interface TraceAttempt<Time = string> {
  provider: string;
  model: string;
  credential: string;
  /** Upstream status; 0 for a network error or timeout. */
  status: number;
  reason: string;
  ms: number;
  cooldownUntil?: Time;
}

/** One request's trace as management serves it. */
export interface RequestTrace {
  id: string;
  parentId?: string;
  /** When the request arrived. */
  time: string;
  client: string;
  endpoint: string;
  format: string;
  model?: string;
  stream: boolean;
  status: number;
  ms: number;
  provider?: string;
  upstreamModel?: string;
  credential?: string;
  router?: string;
  plugins: PluginVerdict[];
  candidates: Candidate[];
  picked?: { credential: string; why: PickReason };
  attempts: TraceAttempt[];
  /** Candidates of the chain moved past after the first one tried. */
  fallbackHops: number;
  dropped: string[];
  /** The tokens the answer reported. */
  usage?: IRUsage;
  /** Request and answer bodies, when `logging.bodies` keeps them. */
  bodies?: TraceBodies;
  /** The host's own time, the upstreams', and for a stream the time to its first event. */
  timings: { hostMs?: number; upstreamMs?: number; ttftMs?: number };
}

/**
 * What the ring keeps of a trace: flat, with times as epoch ms. Ten thousand of them live in
 * the old generation, so each is one object where the served shape nests several (`picked`,
 * `usage`, `timings`); {@link traceView} nests them when someone reads it.
 */
export interface TraceRecord extends Omit<RequestTrace, 'time' | 'attempts' | 'picked' | 'usage' | 'timings'> {
  time: number;
  attempts: TraceAttempt<number>[];
  pickedCredential: string | undefined;
  pickedWhy: PickReason | undefined;
  usage: IRUsage | undefined;
  hostMs: number | undefined;
  ttftMs: number | undefined;
}

/** What the HTTP layer knows when the answer is out. */
export interface TraceEnd {
  id: string;
  client: string;
  endpoint: string;
  format: string;
  model: string | undefined;
  stream: boolean;
  status: number;
  ms: number;
  provider: string | undefined;
  upstreamModel: string | undefined;
  credential: string | undefined;
  dropped: string[];
  hostMs: number | undefined;
  bodies: TraceBodies | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Shared by every trace without entries of a kind: one array, not one per request. */
const NONE: never[] = Object.freeze([]) as never[];

/** A record as management serves it. */
export function traceView(r: TraceRecord): RequestTrace {
  const { time, attempts, pickedCredential, pickedWhy, usage, hostMs, ttftMs, bodies, ...rest } = r;
  const view: RequestTrace = {
    ...rest,
    time: iso(time),
    attempts: attempts.map(({ cooldownUntil, ...a }) => (cooldownUntil === undefined ? a : { ...a, cooldownUntil: iso(cooldownUntil) })),
    timings: { hostMs, upstreamMs: hostMs === undefined ? undefined : Math.max(0, Math.round((r.ms - hostMs) * 10) / 10), ttftMs },
  };
  if (pickedCredential !== undefined) view.picked = { credential: pickedCredential, why: pickedWhy! };
  if (usage !== undefined) view.usage = usage;
  if (bodies !== undefined) view.bodies = bodies;
  return view;
}

/** Collects one request's decisions as they happen; {@link finish} makes the record. */
export class DecisionTrace implements RunTrace {
  readonly #store: StateStore;
  readonly #arrived = Date.now();
  plugins: PluginVerdict[] = NONE;
  candidates: Candidate[] = NONE;
  attempts: TraceAttempt<number>[] = NONE;
  #picked: PoolMember | undefined;
  #why: PickReason | undefined;
  router: string | undefined;
  /** A stream's time from arrival to its first event being ready for the client. */
  ttftMs: number | undefined;
  /** The tokens the served answer reported (a stream's once it ends). */
  usage: IRUsage | undefined;
  /** The pool turned to last, and the pools picks were made in (counted for fallback hops). */
  #lastPool: Pool | undefined;
  #firstPicked: Pool | undefined;
  #otherPicked: Set<Pool> | undefined;

  /** @param format - the client's wire format */
  constructor(
    store: StateStore,
    readonly format: string,
  ) {
    this.#store = store;
  }

  plugin(verdict: PluginVerdict): void {
    if (this.plugins === NONE) this.plugins = [];
    if (this.plugins.length < MAX_ENTRIES) this.plugins.push(verdict);
  }

  pool(pool: Pool, deadline?: number): void {
    this.#lastPool = pool;
    if (this.candidates.length >= MAX_ENTRIES) return;
    // Active credentials are counted, not listed: a trace of a 500-key pool stays small.
    const described = describePool(pool, this.#store, Date.now(), false, deadline);
    // The first pool's list may be shared by every trace (see describePool): never pushed into.
    this.candidates = this.candidates === NONE ? described : [...this.candidates, ...described];
  }

  picked(member: PoolMember, why: PickReason): void {
    this.#picked = member;
    this.#why = why;
    const pool = this.#lastPool;
    if (pool === undefined || pool === this.#firstPicked) return;
    if (this.#firstPicked === undefined) this.#firstPicked = pool;
    else (this.#otherPicked ??= new Set()).add(pool);
  }

  attempted(attempt: Attempt, cooldownUntil?: number): void {
    if (this.attempts === NONE) this.attempts = [];
    if (this.attempts.length >= MAX_ENTRIES) return;
    this.attempts.push({
      provider: attempt.provider,
      model: attempt.model,
      credential: attempt.credentialId,
      status: attempt.status ?? 0,
      reason: attempt.reason.slice(0, MAX_REASON),
      ms: Math.round(attempt.durationMs * 10) / 10,
      cooldownUntil,
    });
  }

  /** The record, once the answer is out: what the HTTP layer knows is added here. */
  finish(end: TraceEnd): TraceRecord {
    // One literal of one shape, no spread: this runs for every request.
    return {
      id: end.id,
      time: this.#arrived,
      client: end.client,
      endpoint: end.endpoint,
      format: end.format,
      model: end.model,
      stream: end.stream,
      status: end.status,
      ms: end.ms,
      provider: end.provider,
      upstreamModel: end.upstreamModel,
      credential: end.credential,
      router: this.router,
      plugins: this.plugins,
      candidates: this.candidates,
      pickedCredential: this.#picked?.id,
      pickedWhy: this.#why,
      attempts: this.attempts,
      fallbackHops: this.#otherPicked?.size ?? 0,
      dropped: end.dropped.length === 0 ? NONE : end.dropped,
      usage: this.usage,
      bodies: end.bodies,
      hostMs: end.hostMs,
      ttftMs: this.ttftMs,
    };
  }
}

/**
 * A pool's candidates (one per provider and model, in pool order) with each credential's state
 * at `now`: cooling (until when, why), active, or ready but below the top ready priority tier.
 * Shared by explain (`all`: every credential listed) and the trace (active ones only counted,
 * the others listed up to 32 per candidate).
 */
export function describePool(pool: Pool, store: StateStore, now: number, all = true, deadline = Infinity): Candidate[] {
  // Nothing cooling: a trace's description depends on the pool alone (tiers are priorities), so
  // it is made once per pool and shared by every trace, not made again per request.
  if (!all && !pool.members.some((m) => isCooling(store.modelState(m.credential.key, m.model), now))) {
    let described = STEADY.get(pool);
    if (!described) STEADY.set(pool, (described = Object.freeze(describe(pool, store, now, false, Infinity)) as Candidate[]));
    return described;
  }
  return describe(pool, store, now, all, deadline);
}

/** The trace's description of each pool while none of its credentials cools. */
const STEADY = new WeakMap<Pool, Candidate[]>();

function describe(pool: Pool, store: StateStore, now: number, all: boolean, deadline: number): Candidate[] {
  if (pool.members.length === 0) {
    const slash = pool.label.indexOf('/');
    return [{ provider: slash > 0 ? pool.label.slice(0, slash) : '', model: slash > 0 ? pool.label.slice(slash + 1) : pool.label, skipped: { reason: 'unavailable' }, credentials: [] }];
  }
  let top = -Infinity;
  const cooling = new Map<PoolMember, { until: number; reason: string }>();
  for (const m of pool.members) {
    const state = store.modelState(m.credential.key, m.model);
    if (isCooling(state, now)) cooling.set(m, { until: state!.until, reason: state!.message ? `${state!.reason}: ${state!.message}` : state!.reason });
    else top = Math.max(top, m.priority);
  }
  const groups = new Map<string, Candidate & { active: number; soonest?: number; lowerTier: boolean }>();
  for (const m of pool.members) {
    const key = `${m.provider}/${m.model}`;
    let candidate = groups.get(key);
    if (!candidate) groups.set(key, (candidate = { provider: m.provider, model: m.model, credentials: [], active: 0, lowerTier: false }));
    const cool = cooling.get(m);
    const status = cool ? 'cooling' : m.priority < top ? 'lower-tier' : 'active';
    if (status === 'active') candidate.active++;
    else if (status === 'lower-tier') candidate.lowerTier = true;
    else if (candidate.soonest === undefined || cool!.until < candidate.soonest) candidate.soonest = cool!.until;
    if (!all && (status === 'active' || candidate.credentials.length >= MAX_ENTRIES)) continue;
    if (cool) candidate.credentials.push({ id: m.id, status, nextRetryAt: iso(cool.until), reason: cool.reason.slice(0, MAX_REASON) });
    else candidate.credentials.push({ id: m.id, status });
  }
  return [...groups.values()].map(({ active, soonest, lowerTier, ...candidate }) => {
    const out: Candidate = candidate;
    if (!all) out.active = active;
    if (active > 0) return out;
    // Cooling past the request's deadline: skipped for that, not merely for cooling.
    out.skipped = lowerTier ? { reason: 'lower-tier' } : { reason: soonest! > deadline ? 'deadline' : 'cooling', until: iso(soonest!) };
    return out;
  });
}
