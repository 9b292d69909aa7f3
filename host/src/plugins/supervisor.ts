/**
 * The supervisor of one plugin (CONTRACT section 6): starts pool generations, swaps them on a
 * config or file change, fuses the plugin when a generation fails (deadline, dead worker,
 * failed health check) and restarts it per the fuse policy. A JSON-RPC error answer is just a
 * failed call, counted in `errors`.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { ErrorCodes, Methods, PROTOCOL_VERSION, compatibleProtocol, logParamsSchema, methodSchemas, registerResultSchema } from '@switchyard/plugin-sdk';
import type { Capability, HostMethod, RegisterResult } from '@switchyard/plugin-sdk';
import { batchFailures } from './batch.js';
import type { DiscoveredPlugin } from './discovery.js';
import { FusePolicy } from './fuse.js';
import type { PluginEvent, PluginObserver } from './observer.js';
import { Generation, INTERNAL_ERROR, PluginCallError, describe, type CallOptions } from '@switchyard/plugin-sdk/transport';
import type { PluginItem, PluginLogger, PluginTiming } from './item.js';

export type PluginState = 'active' | 'fused' | 'disabled' | 'rejected' | 'starting';

/** The management view of a plugin (times as ISO strings). */
export interface PluginSnapshot {
  id: string;
  version: string;
  path: string;
  priority: number;
  threads: number;
  capabilities: Capability[];
  state: PluginState;
  reason?: string;
  fusedAt?: string;
  nextRestartAt?: string;
  calls: number;
  errors: number;
  timeouts: number;
  crashes: number;
}

export type CallParams<M extends HostMethod> = z.input<(typeof methodSchemas)[M]['params']>;
export type CallResult<M extends HostMethod> = z.infer<(typeof methodSchemas)[M]['result']>;

export interface SupervisorOptions {
  plugin: DiscoveredPlugin;
  item: PluginItem;
  /** Absolute path of the worker runtime module piscina loads. */
  workerFilename: string;
  logger: PluginLogger;
  /** Read at every use: the owner may update it in place. */
  timing: PluginTiming;
  /** Idle health-check period (default 15 s) and its deadline (default 2 s). */
  pingInterval?: number;
  pingTimeout?: number;
  /** Deadline of `plugin.register`, worker start-up and plugin setup included (default 10 s). */
  registerTimeout?: number;
  /** Serves `host.executeModel` for calls that bring no `onHostRequest` of their own. */
  onHostRequest?: CallOptions['onHostRequest'];
  /** Called on every change of state, registration or item. */
  onStateChange?(supervisor: PluginSupervisor): void;
  /** Told of calls and fuses, for metrics. */
  observer?: PluginObserver;
}

/** Item fields whose change needs a new pool generation; the others apply in place. */
const RUNTIME_FIELDS = ['enabled', 'threads', 'env', 'config', 'heapMb'] as const;
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Supervises one plugin: start, calls, fuse and restarts, reconfiguration, health checks. */
export class PluginSupervisor {
  plugin: DiscoveredPlugin;
  item: PluginItem;
  /** The answer of the last successful `plugin.register`. */
  registration?: RegisterResult;
  private st: PluginState;
  private reason?: string;
  private fusedAt?: number;
  private nextRestartAt?: number;
  /** The generation serving calls; set only while active. */
  private current?: Generation;
  /** Every generation not yet gone: starting, serving or draining. */
  private readonly live = new Set<Generation>();
  private readonly policy = new FusePolicy();
  private readonly counters = { calls: 0, errors: 0, timeouts: 0, crashes: 0 };
  private readonly log: PluginLogger;
  private readonly pingTimer: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  /** Bumped by every launch and stop, so a launch that was overtaken discards its pool. */
  private epoch = 0;
  private closed = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.plugin = opts.plugin;
    this.item = opts.item;
    this.log = opts.logger.child({ plugin: opts.plugin.id });
    this.st = opts.plugin.rejected ? 'rejected' : opts.item.enabled ? 'starting' : 'disabled';
    this.reason = opts.plugin.rejected;
    if (opts.plugin.rejected) this.log.warn({ reason: opts.plugin.rejected }, 'plugin rejected');
    this.pingTimer = setInterval(() => this.ping(), opts.pingInterval ?? 15_000).unref();
  }

  get id(): string {
    return this.plugin.id;
  }

  get state(): PluginState {
    return this.st;
  }

  get priority(): number {
    return this.item.priority;
  }

  /** Whether a failing request interceptor fails the request instead of being skipped. */
  get failClosed(): boolean {
    return this.item.failClosed;
  }

  get interceptorPhase(): RegisterResult['interceptorPhase'] {
    return this.registration?.interceptorPhase;
  }

  get executor(): RegisterResult['executor'] {
    return this.registration?.executor;
  }

  /** The credential types an auth plugin refreshes. */
  get auth(): RegisterResult['auth'] {
    return this.registration?.auth;
  }

  /** The SDK protocol version the plugin registered with. */
  get protocol(): string | undefined {
    return this.registration?.protocol;
  }

  /** Starts the first generation; resolves once it is active or fused. No-op when disabled or rejected. */
  async start(): Promise<void> {
    if (this.st === 'starting') await this.launch();
  }

  /** Calls `method` on the serving generation. Throws {@link PluginCallError}. */
  async call<M extends HostMethod>(method: M, params: CallParams<M>, opts: CallOptions = {}): Promise<CallResult<M>> {
    const gen = this.current;
    if (!gen) throw this.refuse(`plugin ${this.id} is ${this.st}${this.reason ? `: ${this.reason}` : ''}`);
    if (opts.signal?.aborted) throw new PluginCallError('error', ErrorCodes.cancelled, 'call cancelled before it started');
    // A full queue is refused here rather than by piscina, whose rejection would read as a crash.
    if (gen.saturated) throw this.refuse(`plugin ${this.id} has too many calls queued`);
    this.count('calls');
    const { timing, observer } = this.opts;
    const timeout = opts.timeoutMs ?? (method.startsWith('executor.') ? timing.executorTimeout : (this.item.callTimeout ?? timing.callTimeout));
    // Timed only when someone listens: stream interceptors make this path run once per chunk.
    const started = observer ? performance.now() : 0;
    try {
      const options = { ...opts, onHostRequest: opts.onHostRequest ?? this.opts.onHostRequest };
      const result = (await gen.call(method, params, timeout, options, methodSchemas[method].result)) as CallResult<M>;
      // A batch answer holds its events' handler failures: each counts as the failed call it would have been alone.
      if (method === Methods.streamInterceptBatch) {
        const failures = batchFailures(params as CallParams<'stream.interceptBatch'>, result as CallResult<'stream.interceptBatch'>);
        for (let i = 0; i < failures; i += 1) this.count('errors');
      }
      return result;
    } catch (err) {
      const { kind, code } = err as PluginCallError;
      if (kind === 'invalid' || (kind === 'error' && code !== ErrorCodes.cancelled)) this.count('errors');
      throw err;
    } finally {
      observer?.pluginCall(this.id, method, (performance.now() - started) / 1000);
    }
  }

  /** Applies a changed config item: a new generation when the runtime changed (or the plugin is down), else in place. */
  async reconfigure(item: PluginItem): Promise<void> {
    const restart = this.st !== 'active' || RUNTIME_FIELDS.some((k) => JSON.stringify(item[k]) !== JSON.stringify(this.item[k]));
    this.item = item;
    if (this.st === 'rejected' || this.closed) return;
    if (!item.enabled) return this.stop('disabled', undefined);
    if (!restart) return this.notify();
    this.policy.reset();
    await this.launch();
  }

  /** Applies changed plugin files (and item): a new generation with a clean fuse history, or a rejection. */
  async reload(plugin: DiscoveredPlugin, item: PluginItem = this.item): Promise<void> {
    this.plugin = plugin;
    this.item = item;
    if (this.closed) return;
    if (plugin.rejected) return this.stop('rejected', plugin.rejected);
    if (!item.enabled) return this.stop('disabled', undefined);
    this.policy.reset();
    await this.launch();
  }

  /** Management reset: forgets the fuse history and starts a new generation now. */
  async reset(): Promise<void> {
    if (this.closed || this.st === 'rejected' || this.st === 'disabled') return;
    this.policy.reset();
    this.log.info({}, 'plugin reset');
    await this.launch();
  }

  /** Unloads gracefully: leaves every dispatch list now and lets in-flight calls finish. */
  async shutdown(): Promise<void> {
    this.stop('disabled', undefined);
    this.halt();
    // What is not draining now is a generation still registering: nobody waits for it.
    await Promise.all([...this.live].map((gen) => gen.draining ?? gen.destroy('plugin unloaded')));
  }

  /** Destroys every pool and timer now; in-flight calls fail `unavailable`. */
  async close(): Promise<void> {
    this.halt();
    await Promise.all([...this.live].map((gen) => gen.destroy('plugin host closed')));
  }

  /** The management view. */
  snapshot(): PluginSnapshot {
    const { id, version, path } = this.plugin;
    const reason = this.reason === undefined ? {} : { reason: this.reason };
    const fused = this.st === 'fused' ? { fusedAt: iso(this.fusedAt), nextRestartAt: iso(this.nextRestartAt) } : {};
    const capabilities = this.registration?.capabilities ?? [];
    return { id, version, path, priority: this.item.priority, threads: this.item.threads, capabilities, state: this.st, ...reason, ...fused, ...this.counters };
  }

  /** Starts a generation and swaps it in once registered; on failure keeps a serving one, else fuses. */
  private async launch(): Promise<void> {
    if (this.closed) return;
    const epoch = ++this.epoch;
    clearTimeout(this.restartTimer);
    if (!this.current) this.setState('starting');
    const gen = this.spawn();
    let registration: RegisterResult | undefined;
    let failure: string | undefined;
    let rejection: string | undefined;
    try {
      const params = { protocol: PROTOCOL_VERSION, pluginId: this.id };
      registration = (await gen.call(Methods.register, params, this.opts.registerTimeout ?? 10_000, {}, registerResultSchema)) as RegisterResult;
      if (!compatibleProtocol(registration.protocol)) rejection = `plugin speaks protocol ${registration.protocol}, the host ${PROTOCOL_VERSION}`;
    } catch (err) {
      if ((err as PluginCallError).code === ErrorCodes.protocolMismatch) rejection = (err as Error).message;
      else failure = describe(err);
    }
    // The generation's own failure is the root cause: a deadline, or a worker that died (maybe
    // another thread than the one that registered).
    failure = gen.failure ?? failure;
    if (epoch !== this.epoch || rejection !== undefined || failure !== undefined) void gen.destroy(failure ?? 'superseded');
    if (epoch !== this.epoch) return;
    if (rejection !== undefined) return this.stop('rejected', rejection);
    if (failure !== undefined || !registration) {
      if (!this.current) return this.trip(`start failed: ${failure}`);
      this.log.error({ reason: failure }, 'new generation failed to start; the serving one stays');
      this.reason = `last reload failed: ${failure}`;
      return this.notify();
    }
    const old = this.current;
    clearTimeout(this.restartTimer); // armed if the serving generation fused while this one started
    this.current = gen;
    this.registration = registration;
    this.reason = this.fusedAt = this.nextRestartAt = undefined;
    this.policy.activated(Date.now());
    this.log.info({ capabilities: registration.capabilities }, old ? 'plugin reloaded' : 'plugin started');
    this.setState('active');
    if (old) void old.drain();
  }

  private spawn(): Generation {
    const { plugin, item } = this;
    // The worker's whole environment: the variables its item names, nothing else of the host's.
    const env = Object.fromEntries(item.env.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])));
    const workerData = { pluginId: plugin.id, entry: plugin.entry, config: item.config };
    const spec = { filename: this.opts.workerFilename, workerData, threads: item.threads, env, heapMb: item.heapMb ?? 128 };
    const gen = new Generation(spec, (g, reason, kind) => this.failed(g, reason, kind), (msg) => this.workerLog(msg));
    this.live.add(gen);
    void gen.ended.then(() => this.live.delete(gen));
    return gen;
  }

  /** A generation ended by failure: fuse the plugin if it was the serving one. */
  private failed(gen: Generation, reason: string, kind?: 'timeout' | 'crash'): void {
    if (kind) this.count(kind === 'timeout' ? 'timeouts' : 'crashes');
    if (gen === this.current) {
      this.current = undefined;
      this.trip(reason);
    } else if (gen.draining) this.log.warn({ reason }, 'draining generation failed');
  }

  /** Leaves service until reload/reconfigure: drains the serving generation. */
  private stop(state: 'disabled' | 'rejected', reason: string | undefined): void {
    this.epoch += 1;
    clearTimeout(this.restartTimer);
    void this.current?.drain();
    this.current = undefined;
    this.reason = reason;
    if (state === 'rejected') this.log.warn({ reason }, 'plugin rejected');
    this.setState(state);
  }

  private halt(): void {
    this.closed = true;
    this.epoch += 1;
    clearInterval(this.pingTimer);
    clearTimeout(this.restartTimer);
  }

  private trip(reason: string): void {
    const now = Date.now();
    const { restartAt, consecutive } = this.policy.fuse(now, this.opts.timing.restartDelay);
    this.reason = reason;
    this.fusedAt = now;
    this.nextRestartAt = restartAt ?? undefined;
    if (restartAt !== null) {
      this.restartTimer = setTimeout(() => {
        this.log.info({ reason }, 'restarting fused plugin');
        void this.launch();
      }, restartAt - now).unref();
    }
    this.log.error({ reason, consecutive, nextRestartAt: iso(this.nextRestartAt) ?? null }, restartAt === null ? 'plugin fused until reset' : 'plugin fused');
    this.opts.observer?.pluginEvent(this.id, 'fuses');
    this.setState('fused');
  }

  /** Bumps a management counter and tells the observer. */
  private count(counter: Exclude<PluginEvent, 'fuses' | 'refused'>): void {
    this.counters[counter] += 1;
    this.opts.observer?.pluginEvent(this.id, counter);
  }

  /** The failure of a call that cannot run; callers treat it like any failed call (routers fall through). */
  private refuse(message: string): PluginCallError {
    this.opts.observer?.pluginEvent(this.id, 'refused');
    return new PluginCallError('unavailable', INTERNAL_ERROR, message);
  }

  /** Health check of an idle serving generation; a busy one is watched by its call deadlines. */
  private ping(): void {
    const gen = this.current;
    if (!gen || gen.inFlight > 0) return;
    gen.call(Methods.ping, undefined, this.opts.pingTimeout ?? 2_000).then(
      (answer) => answer !== 'pong' && gen.fail(`health check answered ${JSON.stringify(answer)}`),
      (err: unknown) => gen.fail(`health check failed: ${describe(err)}`),
    );
  }

  private workerLog(msg: unknown): void {
    const m = msg as { method?: unknown; params?: unknown } | null;
    if (m?.method !== Methods.log) return;
    const parsed = logParamsSchema.safeParse(m.params);
    if (parsed.success) this.log[parsed.data.level]?.({ ...parsed.data.fields, source: 'worker' }, parsed.data.message);
  }

  private setState(state: PluginState): void {
    this.st = state;
    this.notify();
  }

  private notify(): void {
    this.opts.onStateChange?.(this);
  }
}
