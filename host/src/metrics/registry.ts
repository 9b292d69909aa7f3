/**
 * Prometheus metrics (`GET /metrics`). One registry per gateway, so several gateways in one
 * process (tests) never share or double-register series. The pipeline and the plugin
 * supervisors report through the small observer interfaces they define; only this folder
 * knows prom-client. Children are cached per label set (see {@link TupleCache}), and the
 * credentials gauge is computed at scrape time, never on the request path.
 *
 * @module
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { isCooling } from '../core/conductor/cooldown.js';
import { TupleCache } from '../core/tuple-cache.js';
import type { Runtime } from '../pipeline/runtime.js';
import type { PipelineObserver } from '../pipeline/observer.js';
import type { PluginEvent, PluginObserver } from '../plugins/observer.js';
import { type CounterChild, FastCounter } from './counter.js';
import { FastHistogram, type HistogramChild } from './histogram.js';

/** Latencies of LLM upstreams: from tens of milliseconds to minutes-long generations. */
const UPSTREAM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
/** Time to first token: a few hundred milliseconds to tens of seconds (reasoning models). */
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];
/** Host overhead is sub-millisecond when healthy; the upper buckets catch plugins and lag. */
const OVERHEAD_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Plugin calls: a stream chunk interception takes microseconds, an executor call minutes. */
const PLUGIN_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60];

const PLUGIN_EVENTS: Record<PluginEvent, string> = {
  calls: 'Calls made to the plugin',
  errors: 'Calls the plugin answered with an error or an invalid result',
  timeouts: 'Calls that passed their deadline (each fuses the plugin)',
  crashes: 'Worker deaths of the plugin (each fuses the plugin)',
  fuses: 'Times the plugin was fused',
  refused: 'Calls refused without running: the plugin was not active or its queue was full',
};

/** Every series of one gateway, and the observer hooks that feed them. */
export class Metrics implements PipelineObserver, PluginObserver {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  readonly #requests: TupleCache<CounterChild>;
  readonly #upstream: TupleCache<HistogramChild>;
  readonly #ttft: TupleCache<HistogramChild>;
  readonly #overhead: HistogramChild;
  readonly #pluginEvents: Record<PluginEvent, TupleCache<CounterChild>>;
  readonly #pluginTime: TupleCache<HistogramChild>;

  /** @param runtime - the runtime in force (undefined while starting), read at scrape time only */
  constructor(runtime: () => Runtime | undefined) {
    const registers = [this.registry];
    // Process and runtime series, event loop lag percentiles among them.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });

    const requests = new FastCounter(
      'switchyard_requests_total',
      'Client API requests by endpoint (route path), serving provider, upstream model and HTTP status (499: the client left first)',
      this.registry,
    );
    this.#requests = new TupleCache(4, ([endpoint, provider, model, status]) => requests.child({ endpoint: endpoint!, provider: provider!, model: model!, status: status! }));

    const upstream = new FastHistogram(
      'switchyard_upstream_duration_seconds',
      'Time from sending an upstream call (HTTP or executor plugin) to its answer: the whole body, or the first event of a stream',
      UPSTREAM_BUCKETS,
      this.registry,
    );
    this.#upstream = new TupleCache(1, ([provider]) => upstream.child({ provider: String(provider) }));

    const ttft = new FastHistogram(
      'switchyard_stream_ttft_seconds',
      'Time from a streaming request arriving to its first event being ready for the client',
      TTFT_BUCKETS,
      this.registry,
    );
    this.#ttft = new TupleCache(1, ([provider]) => ttft.child({ provider: String(provider) }));

    this.#overhead = new FastHistogram(
      'switchyard_overhead_seconds',
      'Time a served request spent in the host, upstream time excluded (x-switchyard-overhead-ms)',
      OVERHEAD_BUCKETS,
      this.registry,
    ).child();

    const events = {} as Record<PluginEvent, TupleCache<CounterChild>>;
    for (const [event, help] of Object.entries(PLUGIN_EVENTS) as [PluginEvent, string][]) {
      const counter = new FastCounter(`switchyard_plugin_${event}_total`, help, this.registry);
      events[event] = new TupleCache(1, ([plugin]) => counter.child({ plugin: plugin! }));
    }
    this.#pluginEvents = events;

    const pluginTime = new FastHistogram(
      'switchyard_plugin_call_duration_seconds',
      'Plugin call latency by plugin and JSON-RPC method, failed calls included',
      PLUGIN_BUCKETS,
      this.registry,
    );
    this.#pluginTime = new TupleCache(2, ([plugin, method]) => pluginTime.child({ plugin: String(plugin), method: String(method) }));

    new Gauge({
      name: 'switchyard_state_store_up',
      help: 'Whether the state store is reachable (1) or the host serves from its local view (0); the memory store is always 1',
      registers,
      collect() {
        const rt = runtime();
        if (rt) this.set(rt.conductor.shared.store.health().up ? 1 : 0);
      },
    });

    new Gauge({
      name: 'switchyard_credentials',
      help: 'Credentials per provider that are active or cooling down (on at least one model)',
      labelNames: ['provider', 'state'],
      registers,
      collect() {
        // Rebuilt at every scrape, so providers removed by a reload disappear.
        this.reset();
        const rt = runtime();
        if (rt) countCredentials(rt, (provider, state, value) => this.set({ provider, state }, value));
      },
    });

    new Gauge({
      name: 'switchyard_upstream_headroom_remaining',
      help: "What a credential's upstream last said remains of a limit (rate-limit headers), by model and dimension",
      labelNames: ['provider', 'credential', 'model', 'dimension'],
      registers,
      collect() {
        this.reset();
        const rt = runtime();
        const headroom = rt?.conductor.shared.headroom;
        if (!rt || !headroom) return;
        const ids = new Map<string, { id: string; provider: string }>();
        for (const p of rt.catalog.providers.values()) for (const c of p.credentials) ids.set(c.key, { id: c.id, provider: p.name });
        for (const [key, model, limit] of headroom.entries()) {
          const credential = ids.get(key);
          if (credential && limit.remaining !== undefined) this.set({ provider: credential.provider, credential: credential.id, model, dimension: limit.dimension }, limit.remaining);
        }
      },
    });
  }

  /** One client API request ended. `provider` and `model` are empty when nothing served it. */
  request(endpoint: string, provider: string, model: string, status: number): void {
    this.#requests.get(endpoint, provider, model, status).inc();
  }

  upstreamCall(provider: string, seconds: number): void {
    this.#upstream.get(provider).observe(seconds);
  }

  firstEvent(provider: string, seconds: number): void {
    this.#ttft.get(provider).observe(seconds);
  }

  overhead(seconds: number): void {
    this.#overhead.observe(seconds);
  }

  pluginEvent(pluginId: string, event: PluginEvent): void {
    this.#pluginEvents[event].get(pluginId).inc();
  }

  pluginCall(pluginId: string, method: string, seconds: number): void {
    this.#pluginTime.get(pluginId, method).observe(seconds);
  }
}

/** Reports, per provider, how many credentials are cooling on some model and how many are not. */
function countCredentials(rt: Runtime, report: (provider: string, state: 'active' | 'cooling', value: number) => void): void {
  const store = rt.conductor.shared.store;
  const now = Date.now();
  for (const provider of rt.catalog.providers.values()) {
    let cooling = 0;
    for (const credential of provider.credentials) {
      for (const state of store.modelStates(credential.key).values()) {
        if (isCooling(state, now)) {
          cooling += 1;
          break;
        }
      }
    }
    report(provider.name, 'active', provider.credentials.length - cooling);
    report(provider.name, 'cooling', cooling);
  }
}
