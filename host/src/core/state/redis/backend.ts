/**
 * The Redis {@link StateBackend}: the shared state every host's replica writes behind to, and
 * the pub/sub channel that tells the others. Layout, under `state.keyPrefix` P:
 *
 * | key | type | holds |
 * |---|---|---|
 * | `P{c:<credential>}:cd` | hash model -> JSON | cooldowns (server-time deadlines), see `scripts.ts` |
 * | `P{c:<credential>}:n` | hash `s:<host>`, `f:<host>`, `s`, `f` | success and failure counts per host, and of hosts long dead |
 * | `Pcreds` | set | credentials that have state, for reconciles |
 * | `Pcursors` | hash key -> n | round-robin cursors |
 * | `Psessions` | hash key -> `{c, e}` | session bindings (credential, server-time expiry) |
 * | `Phosts` | hash host -> expiry | heartbeats; a host past its expiry is dead |
 * | `Pinflight:<host>` | hash credential -> n | that host's requests in flight; expires with its heartbeat |
 * | `Pusage:<minute>` | hash `<client>\0<model>\0<provider>\0<credential>\0<counter>` -> n | usage per minute (epoch ms), every host's added up; expires after the retention |
 * | `Pepoch` | string | a random id: changes when Redis lost its data |
 * | `Pevents` | channel | `{h: host, e: events}`: moves at once, cooldowns after each write |
 *
 * Credential ids are `provider:sha256-prefix`, never a key. The `{c:…}` hash tag keeps one
 * credential's keys in one Cluster slot.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { AppliedCooldown, SharedSnapshot, StateBackend, StateChange, StateEvent } from '../replica/backend.js';
import type { CooldownReason, CredentialCounters, ModelState } from '../types.js';
import type { UsageRow } from '../usage.js';
import type { RedisConnection } from './connection.js';
import { pairs } from './replies.js';
import { readUsage, writeUsage } from './usage.js';
import { KnownTotals, sumCounters } from './known-totals.js';
import { CLEAR_COOLDOWN, EPOCH, FLOOR, FOLD_COUNTERS, REPLACE_HASH, SET_COOLDOWN, UNBIND_IF } from './scripts.js';

/** A host that missed this many heartbeats in a row counts as dead. */
const HEARTBEAT_GRACE = 3;
/** How long after its death a host's counter fields fold into the base ones (and its heartbeat entry goes). */
const FOLD_AFTER_MS = 60_000;

/** An event as it travels: times in server ms, cooldowns as stored. */
type WireEvent =
  | { kind: 'cooldown'; credentialId: string; model: string; stored: string | null }
  | { kind: 'clear-credential'; credentialId: string }
  | { kind: 'cursor'; key: string; delta: number }
  | { kind: 'bind'; key: string; credentialId: string; expiresAt: number }
  | { kind: 'unbind'; key: string; credentialId?: string };

interface StoredCooldown {
  u: number;
  r: CooldownReason;
  l: number;
  s?: number;
  m?: string;
}

export interface RedisBackendOptions {
  keyPrefix: string;
  /** How often the replica sends heartbeats; a host is dead after {@link HEARTBEAT_GRACE} of them. */
  heartbeatMs: number;
}

export class RedisBackend implements StateBackend {
  readonly name = 'redis';
  readonly #redis: RedisConnection;
  readonly #p: string;
  readonly #host = randomUUID();
  readonly #heartbeatMs: number;
  /** Server clock minus local clock, refreshed with each heartbeat. */
  #offset = 0;
  #handlers: { reconnected(): void; down(error: Error): void } | undefined;
  /** What this host knows of the counters and cursors, for {@link restore}. */
  readonly #known = new KnownTotals();
  #epochId: string | undefined;
  #announced: WireEvent[] = [];
  /** Credentials known to be in the `creds` set, so each is added once, not with every write. */
  readonly #listed = new Set<string>();

  constructor(redis: RedisConnection, options: RedisBackendOptions) {
    this.#redis = redis;
    this.#p = options.keyPrefix;
    this.#heartbeatMs = options.heartbeatMs;
  }

  /**
   * Publishes at once, not with the next batch: a round-robin move or a session binding must
   * reach the other hosts before the request that made it is answered.
   */
  announce(event: Exclude<StateEvent, { kind: 'cooldown' }>): void {
    this.#announced.push(event.kind === 'bind' ? { ...event, expiresAt: Math.round(event.expiresAt + this.#offset) } : event);
    if (this.#announced.length > 1) return;
    // One message for every move of this turn of the event loop: under load, one per many requests.
    setImmediate(() => {
      const events = this.#announced;
      this.#announced = [];
      void this.#publish(events);
    });
  }

  async apply(changes: readonly StateChange[]): Promise<AppliedCooldown[]> {
    // Only cooldowns are published here, with the deadline the server settled on; the rest was announced.
    const events: WireEvent[] = [];
    const applied: AppliedCooldown[] = [];
    const results = await Promise.allSettled(changes.map((c) => this.#write(c, events, applied)));
    const unapplied = changes.filter((_, i) => results[i]!.status === 'rejected');
    if (events.length > 0) await this.#publish(events);
    if (unapplied.length > 0) {
      const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      throw Object.assign(new Error(messageOf(failure.reason)), { unapplied });
    }
    return applied;
  }

  /** Adds a credential to the `creds` set the reconciles read, once per process (and after a data loss). */
  async #list(credentialId: string): Promise<void> {
    if (this.#listed.has(credentialId)) return;
    await this.#redis.send(this.#creds, ['SADD', this.#creds, credentialId]);
    this.#listed.add(credentialId);
  }

  #publish(events: WireEvent[]): Promise<unknown> {
    return this.#redis.send(this.#channel, ['PUBLISH', this.#channel, JSON.stringify({ h: this.#host, e: events })]).catch(() => {});
  }

  /** Sends one change's commands (before its first await, so a batch is one pipeline). */
  async #write(change: StateChange, events: WireEvent[], applied: AppliedCooldown[]): Promise<void> {
    const r = this.#redis;
    switch (change.kind) {
      case 'cooldown': {
        const { credentialId, model, state } = change;
        const key = this.#cooldowns(credentialId);
        const args = [model, String(Math.max(1, Math.round(state.until - Date.now()))), state.reason, String(state.backoffLevel), state.status === undefined ? '' : String(state.status), state.message ?? ''];
        const [[stored]] = (await Promise.all([r.eval(SET_COOLDOWN, [key], args), this.#list(credentialId)])) as [[string, number], unknown];
        applied.push({ credentialId, model, state: this.#local(stored) });
        events.push({ kind: 'cooldown', credentialId, model, stored });
        return;
      }
      case 'clear-cooldown': {
        const { credentialId, model } = change;
        const left = (await r.eval(CLEAR_COOLDOWN, [this.#cooldowns(credentialId)], [model, String(Math.round(change.knownUntil + this.#offset))])) as string;
        const stored = left === '' ? null : left;
        applied.push({ credentialId, model, state: stored === null ? undefined : this.#local(stored) });
        events.push({ kind: 'cooldown', credentialId, model, stored });
        return;
      }
      case 'clear-credential':
        await r.send(this.#cooldowns(change.credentialId), ['DEL', this.#cooldowns(change.credentialId)]);
        return;
      case 'counters': {
        // Each host counts in fields of its own, so after a data loss it can write back its share exactly.
        const { credentialId, successes, failures } = change;
        const key = this.#counters(credentialId);
        await Promise.all([
          successes > 0 ? r.send(key, ['HINCRBY', key, `s:${this.#host}`, String(successes)]) : undefined,
          failures > 0 ? r.send(key, ['HINCRBY', key, `f:${this.#host}`, String(failures)]) : undefined,
          this.#list(credentialId),
        ]);
        this.#known.counted(credentialId, successes, failures);
        return;
      }
      case 'cursor':
        await r.send(this.#cursors, ['HINCRBY', this.#cursors, change.key, String(change.delta)]);
        this.#known.moved(change.key, change.delta);
        return;
      case 'bind': {
        const expiresAt = Math.round(change.expiresAt + this.#offset);
        await r.send(this.#sessions, ['HSET', this.#sessions, change.key, JSON.stringify({ c: change.credentialId, e: expiresAt })]);
        return;
      }
      case 'unbind':
        if (change.credentialId === undefined) await r.send(this.#sessions, ['HDEL', this.#sessions, change.key]);
        else await r.eval(UNBIND_IF, [this.#sessions], [change.key, change.credentialId]);
        return;
      case 'usage':
        await writeUsage(r, this.#p, change.row, this.#offset);
        return;
    }
  }

  usage(from: number, to: number): Promise<UsageRow[]> {
    return readUsage(this.#redis, this.#p, from, to);
  }

  async snapshot(full: boolean): Promise<SharedSnapshot> {
    const r = this.#redis;
    const now = Date.now() + this.#offset;
    if (full) await this.#epoch();
    const [ids, hosts, cursors, sessions] = await Promise.all([
      r.send(this.#creds, ['SMEMBERS', this.#creds]) as Promise<string[]>,
      r.send(this.#hosts, ['HGETALL', this.#hosts]).then(pairs),
      full ? r.send(this.#cursors, ['HGETALL', this.#cursors]).then(pairs) : undefined,
      full ? r.send(this.#sessions, ['HGETALL', this.#sessions]).then(pairs) : undefined,
    ]);
    // Hosts whose heartbeat stopped a while ago: their counter fields fold into the base fields.
    const live = new Set(hosts.filter(([, expiry]) => Number(expiry) > now - FOLD_AFTER_MS).map(([host]) => host));
    live.add(this.#host);
    const cooldowns = new Map<string, Map<string, ModelState>>();
    const counters = new Map<string, CredentialCounters>();
    await Promise.all(
      ids.map(async (id) => {
        const [cd, n] = await Promise.all([r.send(this.#cooldowns(id), ['HGETALL', this.#cooldowns(id)]).then(pairs), r.send(this.#counters(id), ['HGETALL', this.#counters(id)]).then(pairs)]);
        const models = new Map<string, ModelState>();
        for (const [model, stored] of cd) {
          const state = this.#local(stored);
          if (state && state.until + this.#offset > now) models.set(model, state);
        }
        if (models.size > 0) cooldowns.set(id, models);
        if (n.length === 0) return;
        counters.set(id, sumCounters(n));
        this.#known.read(id, n);
        const gone = [...new Set(n.map(([field]) => field.slice(2)).filter((host) => host !== '' && !live.has(host)))];
        if (gone.length > 0) await r.eval(FOLD_COUNTERS, [this.#counters(id)], gone);
      }),
    );
    const inFlightElsewhere = new Map<string, number>();
    const dead: string[] = [];
    await Promise.all(
      hosts.map(async ([host, expiry]) => {
        if (host === this.#host) return;
        if (Number(expiry) <= now - FOLD_AFTER_MS) dead.push(host);
        if (Number(expiry) <= now) return;
        for (const [id, n] of pairs(await r.send(this.#inFlight(host), ['HGETALL', this.#inFlight(host)]))) inFlightElsewhere.set(id, (inFlightElsewhere.get(id) ?? 0) + Number(n));
      }),
    );
    if (dead.length > 0) await r.send(this.#hosts, ['HDEL', this.#hosts, ...dead]);
    const snapshot: SharedSnapshot = { cooldowns, counters, inFlightElsewhere };
    if (cursors) {
      snapshot.cursors = new Map(cursors.map(([k, v]) => [k, Number(v)]));
      this.#known.readCursors(snapshot.cursors);
    }
    if (sessions) snapshot.sessions = this.#liveSessions(sessions, now);
    return snapshot;
  }

  /**
   * Redis keeps a random epoch id: a different or missing one after a reconnection means it lost
   * its data (restarted without persistence). Then this host writes back its own counts exactly,
   * and the others' counts and the cursors as it last read them (raised to, never lowered).
   */
  async restore(): Promise<boolean> {
    const known = this.#epochId;
    const now = await this.#epoch();
    if (known === undefined || known === now) return false;
    this.#listed.clear();
    const writes: Promise<unknown>[] = [];
    for (const [id, fields] of this.#known.counterFloors(this.#host)) {
      writes.push(this.#redis.eval(FLOOR, [this.#counters(id)], fields), this.#redis.send(this.#creds, ['SADD', this.#creds, id]));
    }
    const cursors = this.#known.cursorFloors();
    if (cursors.length > 0) writes.push(this.#redis.eval(FLOOR, [this.#cursors], cursors));
    await Promise.all(writes);
    return true;
  }

  async #epoch(): Promise<string> {
    this.#epochId = (await this.#redis.eval(EPOCH, [this.#epochKey], [randomUUID()])) as string;
    return this.#epochId;
  }

  async heartbeat(inFlight: ReadonlyMap<string, number>): Promise<void> {
    const r = this.#redis;
    const sent = Date.now();
    const [seconds, micros] = (await r.send(undefined, ['TIME'])) as [string, string];
    const received = Date.now();
    this.#offset = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2;
    const lifetime = this.#heartbeatMs * HEARTBEAT_GRACE;
    await Promise.all([
      r.send(this.#hosts, ['HSET', this.#hosts, this.#host, String(Math.round(received + this.#offset + lifetime))]),
      // A dead host's counts go with this key; a live one's are replaced (and kept alive) here.
      r.eval(REPLACE_HASH, [this.#inFlight(this.#host)], [String(lifetime), ...[...inFlight].flatMap(([id, n]) => [id, String(n)])]),
    ]);
  }

  listen(handlers: { event(event: StateEvent): void; reconnected(): void; down(error: Error): void }): Promise<void> {
    this.#handlers = handlers;
    return this.#redis.subscribe(this.#channel, (message) => {
      let parsed: { h: string; e: WireEvent[] };
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      if (parsed.h === this.#host || !Array.isArray(parsed.e)) return;
      for (const e of parsed.e) handlers.event(this.#toLocal(e));
    });
  }

  /** The connection came up; before {@link listen} (the first connection) nothing needs doing. */
  linkUp(): void {
    this.#handlers?.reconnected();
  }

  linkDown(error: Error): void {
    this.#handlers?.down(error);
  }

  async close(): Promise<void> {
    await Promise.all([r(this.#redis.send(this.#hosts, ['HDEL', this.#hosts, this.#host])), r(this.#redis.send(this.#inFlight(this.#host), ['DEL', this.#inFlight(this.#host)]))]);
    await this.#redis.close();
    function r(p: Promise<unknown>) {
      return p.catch(() => {});
    }
  }

  #toLocal(e: WireEvent): StateEvent {
    switch (e.kind) {
      case 'cooldown':
        return { kind: 'cooldown', credentialId: e.credentialId, model: e.model, state: e.stored === null ? undefined : this.#local(e.stored) };
      case 'bind':
        return { ...e, expiresAt: e.expiresAt - this.#offset };
      default:
        return e;
    }
  }

  /** A stored cooldown in local time; undefined for a value this build cannot read. */
  #local(stored: string): ModelState | undefined {
    let v: StoredCooldown;
    try {
      v = JSON.parse(stored);
    } catch {
      return undefined;
    }
    if (typeof v.u !== 'number' || typeof v.r !== 'string') return undefined;
    const state: ModelState = { until: v.u - this.#offset, reason: v.r, backoffLevel: v.l ?? 0 };
    if (v.s !== undefined) state.status = v.s;
    if (v.m !== undefined) state.message = v.m;
    return state;
  }

  #liveSessions(entries: [string, string][], now: number): Map<string, { credentialId: string; expiresAt: number }> {
    const live = new Map<string, { credentialId: string; expiresAt: number }>();
    const expired: string[] = [];
    for (const [key, value] of entries) {
      try {
        const b = JSON.parse(value) as { c: string; e: number };
        if (b.e > now) live.set(key, { credentialId: b.c, expiresAt: b.e - this.#offset });
        else expired.push(key);
      } catch {
        expired.push(key);
      }
    }
    // Bindings are pruned here, on the full reads of start-ups and reconnections.
    if (expired.length > 0) void this.#redis.send(this.#sessions, ['HDEL', this.#sessions, ...expired]).catch(() => {});
    return live;
  }

  #cooldowns(id: string) {
    return `${this.#p}{c:${id}}:cd`;
  }
  #counters(id: string) {
    return `${this.#p}{c:${id}}:n`;
  }
  #inFlight(host: string) {
    return `${this.#p}inflight:${host}`;
  }
  get #creds() {
    return `${this.#p}creds`;
  }
  get #cursors() {
    return `${this.#p}cursors`;
  }
  get #sessions() {
    return `${this.#p}sessions`;
  }
  get #epochKey() {
    return `${this.#p}epoch`;
  }
  get #hosts() {
    return `${this.#p}hosts`;
  }
  get #channel() {
    return `${this.#p}events`;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
