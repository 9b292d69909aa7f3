/**
 * One `/metrics` for every process of `serve --workers`. Each worker hands its registry's series
 * to the primary as JSON ({@link metricsReport}); the primary merges them with its own process
 * series using prom-client's `AggregatorRegistry.aggregate` and renders one text
 * ({@link ClusterMetrics}). Series with the same name and labels combine by their metric's
 * aggregator: counters and histograms add up (requests, plugin calls, CPU seconds, GC time), and
 * so do process sizes (memory, heap, handles: the set's total). {@link CLUSTER_AGGREGATORS}
 * names the series where a sum would mislead.
 *
 * A worker that exits takes its counters with it, and a summed counter that went down reads as
 * a reset to Prometheus (`rate()` would count everything since as new). So the primary keeps
 * the last counters and histograms each worker reported and goes on adding those of the workers
 * that exited: the set's counters never go down.
 *
 * @module
 */
import { AggregatorRegistry, type Aggregator, Counter, Gauge, type MetricObjectWithValues, type MetricValue, Registry, collectDefaultMetrics } from 'prom-client';

/** The series of one registry, as `Registry.getMetricsAsJSON` gives them (plain JSON, fit for IPC). */
export type MetricsReport = MetricObjectWithValues<MetricValue<string>>[];

const worst: Aggregator = 'max';

/**
 * How a series combines across processes where summing would be wrong; every other series sums.
 * Each process sets the same table ({@link prepareForCluster}): the aggregate takes the first
 * report's aggregator.
 */
export const CLUSTER_AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  // The set reaches its state store only if every process does.
  switchyard_state_store_up: 'min',
  // Every worker sees the same shared state: a sum would count each credential once per worker.
  // One process's whole answer (the lowest worker id's), so active + cooling stays the credential count.
  switchyard_credentials: 'first',
  // Each worker reads its own answers: the lowest remaining any of them saw is the one to trust.
  switchyard_upstream_headroom_remaining: 'min',
  // Event-loop lag is per process: the worst one shows a stuck worker, where a mean would hide it.
  nodejs_eventloop_lag_seconds: worst,
  nodejs_eventloop_lag_mean_seconds: worst,
  nodejs_eventloop_lag_stddev_seconds: worst,
  nodejs_eventloop_lag_p50_seconds: worst,
  nodejs_eventloop_lag_p90_seconds: worst,
  nodejs_eventloop_lag_p99_seconds: worst,
  nodejs_eventloop_lag_min_seconds: 'min',
  nodejs_eventloop_lag_max_seconds: worst,
  // A per-process limit, not an amount: the tightest one.
  process_max_fds: 'min',
  // When the set started (the primary, the oldest process); prom-client would omit it.
  process_start_time_seconds: 'min',
  nodejs_version_info: 'first',
};

/** Sets {@link CLUSTER_AGGREGATORS} on the series of `registry` that have one. */
export function prepareForCluster(registry: Registry): void {
  for (const [name, aggregator] of Object.entries(CLUSTER_AGGREGATORS)) {
    const metric = registry.getSingleMetric(name) as { aggregator?: Aggregator } | undefined;
    if (metric) metric.aggregator = aggregator;
  }
}

/** What a worker sends the primary for one collection. */
export function metricsReport(registry: Registry): Promise<MetricsReport> {
  return registry.getMetricsAsJSON();
}

/** Series that only ever go up, and stay meaningful added to a dead process's last values. */
function monotonic(report: MetricsReport): MetricsReport {
  return report.filter((m) => (m.type as unknown as string) === 'counter' || (m.type as unknown as string) === 'histogram');
}

/** The primary's side: its own process series, the workers' last reports, and the totals of those that exited. */
export class ClusterMetrics {
  /** The primary's own series (its CPU and memory count towards the set's). */
  readonly registry = new Registry();
  readonly #workers: Gauge;
  readonly #restarts: Counter;
  /** Each live worker's latest report: stands in for one that does not answer a collection in time. */
  readonly #last = new Map<number, MetricsReport>();
  /** Counters and histograms of the workers that exited, summed. */
  #retired: MetricsReport = [];
  /** Retirements run one after another, each on the previous total. */
  #retiring: Promise<void> = Promise.resolve();

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.#workers = new Gauge({ name: 'switchyard_workers', help: 'Worker processes serving (serve --workers)', registers: [this.registry] });
    this.#restarts = new Counter({ name: 'switchyard_worker_restarts_total', help: 'Workers that exited unexpectedly and were replaced', registers: [this.registry] });
    prepareForCluster(this.registry);
  }

  /** How many workers serve now. */
  setWorkers(count: number): void {
    this.#workers.set(count);
  }

  /** A worker was replaced after dying. */
  restarted(): void {
    this.#restarts.inc();
  }

  /** A worker exited: its last counters and histograms are added to every later answer. */
  retire(workerId: number): Promise<void> {
    const last = this.#last.get(workerId);
    this.#last.delete(workerId);
    if (!last) return this.#retiring;
    this.#retiring = this.#retiring.then(async () => {
      this.#retired = await AggregatorRegistry.aggregate([this.#retired, monotonic(last)]).getMetricsAsJSON();
    });
    return this.#retiring;
  }

  /**
   * The set's metrics as Prometheus text, from the reports of this collection by worker id; a
   * live worker missing from `reports` counts with its previous report.
   */
  async render(reports: ReadonlyMap<number, MetricsReport>, live: Iterable<number>): Promise<string> {
    const ids = [...new Set(live)].sort((a, b) => a - b);
    // Only live workers' reports are kept: one that exited meanwhile has been (or is being) retired.
    for (const id of ids) if (reports.has(id)) this.#last.set(id, reports.get(id)!);
    await this.#retiring;
    const parts = ids.map((id) => reports.get(id) ?? this.#last.get(id)).filter((r): r is MetricsReport => r !== undefined);
    parts.push(await this.registry.getMetricsAsJSON(), this.#retired);
    return AggregatorRegistry.aggregate(parts).metrics();
  }
}
