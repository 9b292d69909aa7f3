/**
 * The whole-set `/metrics` of `serve --workers`, without processes: two workers' registries
 * reported as JSON (as over IPC) and merged by the primary's {@link ClusterMetrics}.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ClusterMetrics, type MetricsReport, metricsReport, prepareForCluster } from './cluster.js';
import { FastHistogram } from './histogram.js';

/** A worker's registry with a few series of each kind the gateway has. */
function worker(requests: number, storeUp: number, credentials: { active: number; cooling: number }, lag: number) {
  const registry = new Registry();
  const registers = [registry];
  new Counter({ name: 'switchyard_requests_total', help: 'r', labelNames: ['status'], registers }).inc({ status: '200' }, requests);
  new Gauge({ name: 'switchyard_state_store_up', help: 's', registers }).set(storeUp);
  const creds = new Gauge({ name: 'switchyard_credentials', help: 'c', labelNames: ['provider', 'state'], registers });
  creds.set({ provider: 'openai', state: 'active' }, credentials.active);
  creds.set({ provider: 'openai', state: 'cooling' }, credentials.cooling);
  new Gauge({ name: 'nodejs_eventloop_lag_p99_seconds', help: 'l', registers }).set(lag);
  const overhead = new FastHistogram('switchyard_overhead_seconds', 'o', [0.001, 0.01], registry).child();
  for (let i = 0; i < requests; i++) overhead.observe(0.005);
  prepareForCluster(registry);
  return registry;
}

const ipc = async (registry: Registry): Promise<MetricsReport> => JSON.parse(JSON.stringify(await metricsReport(registry)));

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ClusterMetrics', () => {
  it('sums counters and histograms, and takes the documented aggregate for the gauges a sum would mislead', async () => {
    const primary = new ClusterMetrics();
    primary.setWorkers(2);
    const reports = new Map([
      [1, await ipc(worker(3, 1, { active: 2, cooling: 1 }, 0.004))],
      [2, await ipc(worker(5, 0, { active: 3, cooling: 0 }, 0.09))],
    ]);
    const text = await primary.render(reports, [1, 2]);
    expect(value(text, 'switchyard_requests_total{status="200"}')).toBe(8);
    expect(value(text, 'switchyard_overhead_seconds_bucket{le="0.01"}')).toBe(8);
    expect(value(text, 'switchyard_overhead_seconds_count')).toBe(8);
    expect(value(text, 'switchyard_state_store_up')).toBe(0);
    // The lowest worker id's answer, whole: never active from one and cooling from another.
    expect(value(text, 'switchyard_credentials{provider="openai",state="active"}')).toBe(2);
    expect(value(text, 'switchyard_credentials{provider="openai",state="cooling"}')).toBe(1);
    expect(value(text, 'nodejs_eventloop_lag_p99_seconds')).toBe(0.09);
    expect(value(text, 'switchyard_workers')).toBe(2);
    // The primary's own process series count towards the set's.
    expect(value(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('keeps the counters of a worker that exited, so the set’s totals never go down', async () => {
    const primary = new ClusterMetrics();
    const first = await primary.render(new Map([[1, await ipc(worker(3, 1, { active: 1, cooling: 0 }, 0))], [2, await ipc(worker(5, 1, { active: 1, cooling: 0 }, 0))]]), [1, 2]);
    expect(value(first, 'switchyard_requests_total{status="200"}')).toBe(8);
    await primary.retire(2);
    primary.restarted();
    // Worker 3 replaced worker 2 and served 1 request; worker 1 did not answer this collection in time.
    const next = await primary.render(new Map([[3, await ipc(worker(1, 1, { active: 1, cooling: 0 }, 0))]]), [1, 3]);
    expect(value(next, 'switchyard_requests_total{status="200"}')).toBe(3 + 5 + 1);
    expect(value(next, 'switchyard_overhead_seconds_count')).toBe(9);
    // Gauges of the dead worker are gone: only live workers' answers count.
    expect(value(next, 'switchyard_credentials{provider="openai",state="active"}')).toBe(1);
    expect(value(next, 'switchyard_worker_restarts_total')).toBe(1);
  });
});
