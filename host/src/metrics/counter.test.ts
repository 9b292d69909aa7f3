import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter } from './counter.js';

/** Increments by label set: a string label, a numeric one (statuses are kept as numbers). */
const INCREMENTS: [string, number][] = [
  ['a', 200],
  ['b', 200],
  ['a', 200],
  ['a', 499],
  ['c"\\\n', 500],
];

describe('FastCounter', () => {
  it('renders exactly what prom-client renders for the same increments', async () => {
    const theirs = new Registry();
    const counter = new Counter({ name: 'x_total', help: 'help "text"\nsecond line', labelNames: ['provider', 'status'], registers: [theirs] });
    for (const [provider, status] of INCREMENTS) counter.labels({ provider, status }).inc();

    const ours = new Registry();
    const fast = new FastCounter('x_total', 'help "text"\nsecond line', ours);
    const children = new Map<string, ReturnType<FastCounter['child']>>();
    for (const [provider, status] of INCREMENTS) {
      const key = `${provider}|${status}`;
      if (!children.has(key)) children.set(key, fast.child({ provider, status }));
      children.get(key)!.inc();
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('zeroes its series on reset, and the cached children keep counting', async () => {
    const registry = new Registry();
    const child = new FastCounter('y_total', 'help', registry).child({ plugin: 'p' });
    child.inc();
    child.inc();
    registry.resetMetrics();
    child.inc();
    expect(await registry.metrics()).toContain('y_total{plugin="p"} 1');
  });
});
