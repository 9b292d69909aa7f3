/**
 * The credential conductor: runs one request over a chain of pools. Inside a pool it picks a
 * credential by strategy within the highest priority tier that has one available (wrapped by
 * session affinity), applies each failure's cooldown, and moves on; a request error ends
 * everything at once. When every pool is exhausted it starts another round, after waiting for
 * the soonest cooldown if that is within `maxRetryInterval`.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config/schema.js';
import { blameOf } from '../../errors/registry.js';
import type { ModelState } from '../state/types.js';
import { applyFailure, isCooling } from './cooldown.js';
import { planAttempt } from './deadline.js';
import { type Attempt, deadlineError, exhaustedError, kindOf, requestFailure, toFailure } from './outcome.js';
import type { Pool, PoolMember } from './pool.js';
import type { RateLimit } from '../../upstream/rate-limits.js';
import { createSelector, topTier } from './selectors/index.js';
import type { ConductorShared, MemberStats, SchedulerHook } from './shared.js';
import type { PickReason, RunTrace } from './trace.js';
import type { FailureInput, SelectionCandidate, Selector } from './types.js';

/** What the conductor needs to know about the request it runs. */
export interface RunContext {
  /** The model the client asked for (for error messages). */
  requestedModel: string;
  signal: AbortSignal;
  /** Session id for affinity, when the request has one. */
  sessionId?: string;
  /** The request's decision trace, told what the conductor considers, picks and tries. */
  trace?: RunTrace;
  /** Epoch ms by which the answer must be out (absent: none); attempts and waits are planned inside it. */
  deadline?: number;
  /** Whether the client set the deadline (a cooldown past it then answers 504, not 429). */
  clientDeadline?: boolean;
  /** The request's input tokens, estimated (asked only when some credential's token budget is known). */
  needTokens?: () => number;
}

/** A member picked, and why. */
type Picked = [PoolMember, PickReason];

/** What a scheduler plugin said of a pick (see {@link SchedulerHook.pick}). */
type SchedulerSay = Awaited<ReturnType<SchedulerHook['pick']>>;

/** A 429 asking for at most this long a pause is a burst limit, not an exhausted quota. */
const BURST_MS = 10_000;

/** A successful run: the attempt's value, who served it, and the failed attempts before it. */
export interface RunResult<T> {
  value: T;
  member: PoolMember;
  attempts: readonly Attempt[];
}

/** Longest message kept as a credential's last error. */
const MAX_LAST_ERROR = 300;

export class Conductor {
  readonly #selector: Selector;
  /** Built-in strategies a scheduler plugin may delegate to. */
  readonly #delegates: Record<'round-robin' | 'fill-first', Selector>;
  readonly #transientMs: number;

  constructor(
    readonly config: Pick<Config, 'routing' | 'retry' | 'cooldown'>,
    readonly shared: ConductorShared,
    readonly scheduler?: SchedulerHook,
  ) {
    const cursor = (key: string) => shared.store.nextCursor(key);
    const current = (key: string) => shared.store.cursor(key);
    const share = (c: SelectionCandidate) => {
      const member = c as PoolMember;
      return shared.headroom?.share(member.credential.key, member.model, Date.now()) ?? 1;
    };
    this.#selector = createSelector(config.routing.strategy, cursor, current, share);
    this.#delegates = { 'round-robin': createSelector('round-robin', cursor, current), 'fill-first': createSelector('fill-first', cursor, current) };
    this.#transientMs = config.cooldown.transientSeconds * 1000;
  }

  /**
   * Runs `attempt` over the chain until one succeeds. Throws the request error of the first
   * attempt that blamed the request, the client's abort reason, or the exhaustion error (see
   * {@link exhaustedError}).
   */
  async run<T>(chain: readonly Pool[], ctx: RunContext, attempt: (member: PoolMember, signal: AbortSignal) => Promise<T>): Promise<RunResult<T>> {
    const { maxRetryCredentials, maxRetryInterval } = this.config.retry;
    const attempts: Attempt[] = [];
    const skipped = new Set<string>();
    const rounds = this.#rounds(chain);
    const deadline = ctx.deadline ?? Infinity;
    /** Members whose attempt the deadline plan cut: no further round for them in this request. */
    const cut = new Set<PoolMember>();
    for (let round = 0; ; round++) {
      for (let index = 0; index < chain.length; index++) {
        const pool = chain[index]!;
        const tried = new Set<PoolMember>(cut);
        // Credentials whose token budget, as their upstream last said, cannot take this request wait for their reset.
        if (ctx.needTokens) for (const m of pool.members) if (this.#short(m, ctx.needTokens)) tried.add(m);
        if (round === 0) ctx.trace?.pool(pool, ctx.clientDeadline ? deadline : undefined);
        for (;;) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          if (maxRetryCredentials > 0 && tried.size >= maxRetryCredentials) break;
          let picked = this.#pick(pool, tried, round, ctx.sessionId);
          if (picked instanceof Promise) picked = await picked;
          if (!picked) {
            if (tried.size === 0) skipped.add(pool.label);
            break;
          }
          const [member, why] = picked;
          ctx.trace?.picked(member, why);
          tried.add(member);
          this.#adjustInFlight(member, 1);
          try {
            // An alias pool tries its models in turn on this credential before moving on.
            for (const variant of this.#variants(pool, member)) {
              const started = performance.now();
              const remaining = deadline - Date.now();
              if (remaining <= 0) throw deadlineError(ctx.requestedModel, attempts, skipped);
              const others = index < chain.length - 1 || tried.size < pool.members.length;
              const plan = planAttempt(ctx.signal, remaining, others);
              try {
                const value = await attempt(variant, plan?.signal ?? ctx.signal);
                this.#succeeded(pool, variant, ctx.sessionId);
                ctx.trace?.attempted({ provider: variant.provider, model: variant.model, credentialId: variant.id, status: 200, reason: 'ok', durationMs: performance.now() - started });
                return { value, member: variant, attempts };
              } catch (err) {
                if (plan?.cut.aborted && !ctx.signal.aborted) {
                  // Cut by the plan, not the upstream's fault: no cooldown, no further round here.
                  cut.add(member);
                  const failed: Attempt = { provider: variant.provider, model: variant.model, credentialId: variant.id, reason: `cut by the deadline plan after ${Math.round(plan.budget)} ms`, durationMs: performance.now() - started };
                  ctx.trace?.attempted(failed);
                  attempts.push(failed);
                  break;
                }
                // A client abort, or a failure that is not the upstream's (a bad request body, an
                // interceptor's reply, a fail-closed guard), ends the run: no other credential helps.
                if (ctx.signal.aborted || blameOf(err) !== 'upstream') throw err;
                const failure = toFailure(err);
                const requestError = this.#failed(pool, variant, failure, ctx.sessionId);
                const failed: Attempt = {
                  provider: variant.provider,
                  model: variant.model,
                  credentialId: variant.id,
                  status: failure.status,
                  reason: failure.message,
                  durationMs: performance.now() - started,
                  kind: kindOf(err, failure),
                };
                if (ctx.trace) {
                  const state = this.shared.store.modelState(variant.credential.key, variant.model);
                  ctx.trace.attempted(failed, isCooling(state, Date.now()) ? state!.until : undefined);
                }
                if (requestError) throw requestFailure(err, failure);
                attempts.push(failed);
              } finally {
                plan?.done();
              }
            }
          } finally {
            this.#adjustInFlight(member, -1);
          }
        }
      }
      if (round >= rounds) break;
      const ready = this.#soonestReady(chain, round + 1);
      // The host never waits past the deadline: a candidate ready only after it is as good as none.
      if (ready >= deadline) {
        if (ctx.clientDeadline || Date.now() >= deadline) throw deadlineError(ctx.requestedModel, attempts, skipped);
        break;
      }
      const wait = ready - Date.now();
      if (!Number.isFinite(wait) || wait > maxRetryInterval) break;
      if (wait > 0) {
        // Jitter spreads the herd of requests that all wait for the same cooldown to end.
        const jitter = Math.random() * Math.min(wait / 4, 2000);
        try {
          await sleep(Math.min(wait + jitter, maxRetryInterval), undefined, { signal: ctx.signal });
        } catch (err) {
          // Node's AbortError wraps the reason; callers expect the client's reason itself.
          throw ctx.signal.aborted ? ctx.signal.reason : err;
        }
      }
    }
    if (ctx.clientDeadline && this.#soonestReady(chain, 0) >= deadline && attempts.length === 0) throw deadlineError(ctx.requestedModel, attempts, skipped);
    throw exhaustedError(ctx.requestedModel, chain, attempts, skipped, this.shared.store);
  }

  /**
   * Takes what an answer said of `member`'s limits: a dimension with nothing left sets the
   * credential aside for that model until its reset, so it is not sent a request that would be
   * refused (a cooldown of reason `headroom`, shared like any other).
   */
  limits(member: PoolMember, limits: readonly RateLimit[]): void {
    this.shared.headroom?.update(member.credential.key, member.model, limits);
    const now = Date.now();
    let spent: RateLimit | undefined;
    for (const l of limits) if (l.remaining === 0 && l.resetAt !== undefined && l.resetAt > now && (!spent || l.resetAt > spent.resetAt!)) spent = l;
    if (!spent || member.credential.disableCooling) return;
    const limit = spent.limit === undefined ? '' : ` of ${spent.limit}`;
    this.#cool(member, { until: spent.resetAt!, reason: 'headroom', message: `${spent.dimension}: 0${limit} left until the reset`, backoffLevel: 0 });
  }

  /**
   * Records a failure that came after the answer started (a stream cut after its first byte):
   * too late to fail over, but the credential still cools and counts it.
   */
  failedLate(member: PoolMember, err: unknown): void {
    const store = this.shared.store;
    const prev = store.modelState(member.credential.key, member.model);
    const { state } = applyFailure(prev, toFailure(err), Date.now(), { transientMs: this.#transientMs });
    store.recordResult(member.credential.key, false);
    if (state !== prev && !member.credential.disableCooling) this.#cool(member, state);
  }

  /** Sets a failure's new state, and tells whoever listens when it benches the credential. */
  #cool(member: PoolMember, state: ModelState | undefined): void {
    const store = this.shared.store;
    store.setModelState(member.credential.key, member.model, state);
    if (!this.shared.onCredentialChange) return;
    // The store's word: a longer cooldown already there outlives the one just set.
    const inForce = store.modelState(member.credential.key, member.model);
    if (isCooling(inForce, Date.now())) this.shared.onCredentialChange({ member, change: 'cooling', state: inForce });
  }

  /**
   * The member a request would get from `pool` now, and why, changing nothing: no cursor moves,
   * no session is bound (for explain). A scheduler plugin is asked as for a real pick; what it
   * keeps of its own between calls is its affair.
   */
  async preview(pool: Pool, sessionId?: string): Promise<Picked | undefined> {
    const now = Date.now();
    const ready = pool.members.filter((m) => this.#ready(m, now));
    return ready.length === 0 ? undefined : this.#choose(pool, ready, sessionId, true);
  }

  /** Whether any member of the pool can serve now. */
  available(pool: Pool, now = Date.now()): boolean {
    return pool.members.some((m) => this.#ready(m, now));
  }

  /** Extra rounds the chain can take: the most any of its credentials takes part in. */
  #rounds(chain: readonly Pool[]): number {
    let rounds = 0;
    for (const pool of chain) for (const m of pool.members) rounds = Math.max(rounds, this.#retryOf(m));
    return rounds;
  }

  /** Round r admits only credentials whose own `requestRetry` (else the global one) is at least r. */
  #retryOf(member: PoolMember): number {
    return member.credential.requestRetry ?? this.config.retry.requestRetry;
  }

  /** Whether some model of the member can be asked at `now`. */
  #ready(member: PoolMember, now: number): boolean {
    // A credential whose token expired and could not be refreshed waits for its refresher.
    if (member.credential.upstream.unavailable?.(now) !== undefined) return false;
    for (const model of member.models) if (!isCooling(this.shared.store.modelState(member.credential.key, model), now)) return true;
    return false;
  }

  /**
   * The member once per model to try on its credential: just itself for a plain name; for an
   * alias pool its models not cooling, starting at a rotating one.
   */
  #variants(pool: Pool, member: PoolMember): PoolMember[] {
    const { models } = member;
    if (models.length === 1) return [member];
    const start = this.shared.store.nextCursor(`alias:${member.credential.key}:${pool.key}`) % models.length;
    const now = Date.now();
    const out: PoolMember[] = [];
    for (let i = 0; i < models.length; i++) {
      const model = models[(start + i) % models.length]!;
      if (!isCooling(this.shared.store.modelState(member.credential.key, model), now)) out.push(model === member.model ? member : { ...member, model });
    }
    return out;
  }

  /** The member to try next and why it was chosen; undefined when none is ready. */
  #pick(pool: Pool, tried: ReadonlySet<PoolMember>, round: number, sessionId: string | undefined): Picked | Promise<Picked> | undefined {
    const now = Date.now();
    const ready = pool.members.filter((m) => !tried.has(m) && (round === 0 || this.#retryOf(m) >= round) && this.#ready(m, now));
    return ready.length === 0 ? undefined : this.#choose(pool, ready, sessionId, false);
  }

  /**
   * Chooses among `ready` (not empty): the session's binding, else the scheduler plugin's
   * choice, else the strategy's. A `preview` peeks instead of moving the cursor and binds nothing.
   * Only a scheduler's say is awaited: without one a pick costs no promise and no microtask turn.
   */
  #choose(pool: Pool, ready: PoolMember[], sessionId: string | undefined, preview: boolean): Picked | Promise<Picked> {
    const now = Date.now();
    const store = this.shared.store;
    const affinity = this.config.routing.sessionAffinity && sessionId !== undefined;
    const bindKey = affinity ? `${sessionId}::${pool.key}` : '';
    const bound = affinity ? store.session(bindKey, now) : undefined;
    if (bound !== undefined) {
      // A binding outranks priority: a session stays where its prompt cache is.
      const member = ready.find((m) => m.credential.key === bound);
      if (member) return [member, 'affinity'];
    }
    const decide = (say: SchedulerSay): Picked => {
      let selector = this.#selector;
      let member: PoolMember | undefined;
      let why: PickReason | undefined;
      if (typeof say === 'string') selector = this.#delegates[say];
      else if (say) [member, why] = [say.member, `scheduler:${say.pluginId}`];
      if (!member) {
        if (ready.length === 1) member = ready[0]!;
        else member = (preview ? selector.peek(pool.key, topTier(ready)) : selector.pick(pool.key, topTier(ready))) as PoolMember;
      }
      // Served elsewhere while its own key takes a burst pause: the session goes back there after it.
      const paused = bound !== undefined && this.#pausedBriefly(bound, member.model, now);
      if (affinity && !preview && !paused) store.bindSession(bindKey, member.credential.key, now + this.config.routing.sessionAffinityTtl);
      return [member, why ?? (ready.length === 1 ? 'only-ready' : selector.strategy)];
    };
    if (!this.scheduler?.present()) return decide(undefined);
    // A scheduler chooses within the top tier, like the built-in strategies.
    return this.scheduler.pick({ pool, ready: topTier(ready) as PoolMember[], sessionId, stats: (m) => this.#stats(m) }).then(decide);
  }

  #succeeded(pool: Pool, member: PoolMember, sessionId: string | undefined): void {
    const store = this.shared.store;
    store.recordResult(member.credential.key, true);
    const state = store.modelState(member.credential.key, member.model);
    // A success ends a cooldown, but not the set-aside its own answer just said is due.
    if (state && !(state.reason === 'headroom' && isCooling(state, Date.now()))) {
      store.setModelState(member.credential.key, member.model, undefined);
      this.shared.onCredentialChange?.({ member, change: 'recovered' });
    }
    if (this.config.routing.sessionAffinity && sessionId !== undefined) {
      const key = `${sessionId}::${pool.key}`;
      const now = Date.now();
      const bound = store.session(key, now);
      if (bound !== undefined && bound !== member.credential.key && this.#pausedBriefly(bound, member.model, now)) return;
      store.bindSession(key, member.credential.key, now + this.config.routing.sessionAffinityTtl);
    }
  }

  /** Whether `member`'s upstream said it has fewer input tokens left before the reset than the request needs. */
  #short(member: PoolMember, need: () => number): boolean {
    const left = this.shared.headroom?.tokensLeft(member.credential.key, member.model, Date.now());
    return left !== undefined && left < need();
  }

  /** Whether credential `key` waits out a burst 429 on `model`: a quota cooldown of a few seconds at most. */
  #pausedBriefly(key: string, model: string, now: number): boolean {
    const state = this.shared.store.modelState(key, model);
    return state !== undefined && state.reason === 'quota' && isCooling(state, now) && state.until - now <= BURST_MS;
  }

  /** Applies a failure's cooldown; returns true when the request itself was at fault. */
  #failed(pool: Pool, member: PoolMember, failure: FailureInput, sessionId: string | undefined): boolean {
    const store = this.shared.store;
    const now = Date.now();
    const prev = store.modelState(member.credential.key, member.model);
    const { state, requestError } = applyFailure(prev, failure, now, { transientMs: this.#transientMs });
    if (requestError) return true;
    store.recordResult(member.credential.key, false);
    this.shared.lastErrors?.set(member.credential.key, { status: failure.status, message: failure.message.slice(0, MAX_LAST_ERROR), at: now });
    // disableCooling: the failure fails over, but never holds the credential back from later requests.
    if (member.credential.disableCooling) return false;
    if (state !== prev) this.#cool(member, state);
    // A burst 429 (a short Retry-After) keeps the session on its key and its prompt cache: this
    // request fails over, the next one comes back once the pause is over. Anything else rotates.
    const burst = failure.status === 429 && failure.retryAfterMs !== undefined && failure.retryAfterMs <= BURST_MS;
    if (this.config.routing.sessionAffinity && sessionId !== undefined && !burst) store.unbindSession(`${sessionId}::${pool.key}`, member.credential.key);
    return false;
  }

  /** The earliest time some member of the chain that takes part in `round` is ready again (now if one already is). */
  #soonestReady(chain: readonly Pool[], round: number): number {
    const now = Date.now();
    let soonest = Infinity;
    for (const pool of chain) {
      for (const m of pool.members) {
        if (this.#retryOf(m) < round) continue;
        for (const model of m.models) {
          const state = this.shared.store.modelState(m.credential.key, model);
          if (!isCooling(state, now)) return now;
          soonest = Math.min(soonest, state!.until);
        }
      }
    }
    return soonest;
  }

  #stats(member: PoolMember): MemberStats {
    const counters = this.shared.store.counters(member.credential.key);
    return { inFlight: this.shared.store.inFlight(member.credential.key), successes: counters.successes, failures: counters.failures };
  }

  #adjustInFlight(member: PoolMember, delta: number): void {
    this.shared.store.adjustInFlight(member.credential.key, delta);
  }
}

