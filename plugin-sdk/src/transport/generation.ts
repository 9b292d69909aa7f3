/**
 * One pool generation of a plugin: the piscina pool its calls run on, configured the way every
 * Switchyard plugin pool is (CONTRACT section 6). A generation destroys itself when a deadline
 * passes or a worker dies and reports it; what that means for the plugin (a fuse or not) is the
 * owner's business: the host's supervisor, or the test harness.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { Piscina } from 'piscina';
import type { z } from 'zod';
import { Methods } from '../protocol.js';
import type { WorkerData } from '../schema.js';
import { INTERNAL_ERROR, PluginCallError, acceptCallPort, describe, runCall, type CallOptions } from './call.js';

const MAX_QUEUE = 256;
const SHUTDOWN_TIMEOUT = 2_000;

/**
 * Absolute path of the compiled worker runtime's CommonJS bootstrap
 * (`@switchyard/plugin-sdk/worker/bootstrap`, see `worker/bootstrap.cts` for why CommonJS), the
 * `filename` of every plugin pool. Resolved through the package's own exports, so it is found
 * from the sources (under test) and from dist alike; it must have been built.
 */
export function workerEntry(): string {
  return createRequire(import.meta.url).resolve('@switchyard/plugin-sdk/worker/bootstrap');
}

/** What a generation's pool is started with. */
export interface GenerationSpec {
  /** Absolute path of the worker runtime module (plugin-sdk's `dist/worker/entry.js`). */
  filename: string;
  /** Handed to every worker unchanged: the plugin id, its entry module and its config. */
  workerData: WorkerData;
  /** Worker threads: the pool's minimum and maximum alike. */
  threads: number;
  /** The worker's whole environment; nothing of the host's leaks in. */
  env: Record<string, string>;
  /** Old-generation heap limit of each worker, in MB. */
  heapMb: number;
}

/**
 * Called once when the generation ends by failure (it is already being destroyed): `kind` is
 * set for a passed deadline or a dead worker, absent for a failure the owner declared.
 */
export type FailureHook = (gen: Generation, reason: string, kind?: 'timeout' | 'crash') => void;

/** One piscina pool of a plugin, from start to destruction. */
export class Generation {
  private readonly pool: Piscina;
  /** Calls running now. */
  inFlight = 0;
  /** Set once destruction began. */
  dead = false;
  /** Why the generation ended; for a failure, its root cause. */
  failure?: string;
  /** Set once draining began; resolves when the pool is gone. */
  draining?: Promise<void>;
  /** Resolves once the pool is destroyed, however the generation ended. */
  readonly ended: Promise<void>;
  private end!: () => void;
  private idle?: () => void;
  private readonly pluginId: string;

  /**
   * Starts the pool (its workers load the plugin and run its setup right away).
   *
   * @param spec - what the pool runs and with which limits
   * @param onFailure - told once when the generation fails
   * @param onMessage - every message the workers post on `parentPort` (`host.log` lines)
   */
  constructor(
    spec: GenerationSpec,
    private readonly onFailure: FailureHook,
    onMessage: (msg: unknown) => void,
  ) {
    this.pluginId = spec.workerData.pluginId;
    this.ended = new Promise((resolve) => (this.end = resolve));
    this.pool = new Piscina({
      filename: spec.filename,
      minThreads: spec.threads,
      maxThreads: spec.threads,
      // A plugin is long-lived and stateful: never retire an idle worker, never freeze its
      // event loop between tasks (the 'sync' default would stop its timers), and let async
      // handlers share a worker.
      idleTimeout: Infinity,
      atomics: 'disabled',
      concurrentTasksPerWorker: 32,
      maxQueue: MAX_QUEUE,
      env: spec.env,
      resourceLimits: { maxOldGenerationSizeMb: spec.heapMb },
      workerData: spec.workerData,
    });
    // Always listened to: an unheard 'error' would throw in the host. It is a worker dying
    // while idle, or failing its bootstrap.
    this.pool.on('error', (err: unknown) => this.fail(describe(err), 'crash'));
    // A worker exiting while idle (process.exit in a timer) is neither: piscina just replaces
    // it. Deferred so that a failed task or an 'error', which carry the reason, report first;
    // our own destroy() marks the generation dead before any worker goes.
    this.pool.on('workerDestroy', () => setImmediate(() => this.fail('a worker exited while idle', 'crash')));
    // Callback ports of portless calls travel on parentPort too; everything else is a log line.
    this.pool.on('message', (message: unknown) => {
      if (!acceptCallPort(message)) onMessage(message);
    });
  }

  /** Whether the task queue is full, so a call would be refused. */
  get saturated(): boolean {
    return this.pool.queueSize >= MAX_QUEUE;
  }

  /** Runs one call (see {@link runCall}); a deadline or a crash fails the generation. */
  async call(method: string, params: unknown, timeoutMs: number, opts: CallOptions = {}, schema?: z.ZodType): Promise<unknown> {
    this.inFlight += 1;
    try {
      return await runCall(this.pool, method, params, timeoutMs, opts, schema);
    } catch (err) {
      const e = err as PluginCallError;
      // A call of a generation destroyed under it did not crash anything: the plugin is just gone.
      if (e.kind === 'crash' && this.dead) throw new PluginCallError('unavailable', INTERNAL_ERROR, `plugin ${this.pluginId} is unavailable: ${this.failure}`);
      if (e.kind === 'timeout' || e.kind === 'crash') this.fail(e.message, e.kind);
      throw e;
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  /** Ends the generation as failed, once: destroys it and reports to the owner. */
  fail(reason: string, kind?: 'timeout' | 'crash'): void {
    if (this.dead) return;
    this.failure = reason;
    void this.destroy(reason);
    this.onFailure(this, reason, kind);
  }

  /** Lets running calls finish, gives the plugin its `plugin.shutdown`, then destroys the pool. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      if (!this.dead) await this.call(Methods.shutdown, undefined, SHUTDOWN_TIMEOUT).catch(() => undefined);
      await this.destroy('drained');
    })();
    return this.draining;
  }

  /** Terminates every worker now; running calls fail `unavailable`. Idempotent. */
  destroy(reason: string): Promise<void> {
    if (!this.dead) {
      this.failure ??= reason;
      this.dead = true;
      void this.pool.destroy().then(this.end, this.end);
    }
    return this.ended;
  }
}
