/**
 * Prometheus metrics (`GET /metrics`). One registry per gateway, so several gateways in one
 * process (tests) never share or double-register series.
 *
 * @module
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process and runtime series, event loop lag percentiles among them.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return { registry };
}
