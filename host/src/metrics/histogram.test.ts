import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from './histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED = [0.0005, 0.001, 0.002, 0.01, 0.5, 1, 3, 120];

/** prom-client's own histogram, fed the same observations: the rendering to match. */
async function promClientText(labelled: boolean): Promise<string> {
  const registry = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: labelled ? ['provider'] : [], buckets: BUCKETS, registers: [registry] });
  for (const v of OBSERVED) {
    if (labelled) h.labels({ provider: v < 0.01 ? 'a' : 'b' }).observe(v);
    else h.observe(v);
  }
  return registry.metrics();
}

describe('FastHistogram', () => {
  it('renders exactly what prom-client renders for the same observations, labelled or not', async () => {
    for (const labelled of [false, true]) {
      const registry = new Registry();
      const h = new FastHistogram('x_seconds', 'help text', BUCKETS, registry);
      const children = labelled ? { a: h.child({ provider: 'a' }), b: h.child({ provider: 'b' }) } : { a: h.child(), b: undefined };
      for (const v of OBSERVED) (labelled && v >= 0.01 ? children.b! : children.a).observe(v);
      expect(await registry.metrics()).toBe(await promClientText(labelled));
    }
  });

  it('zeroes its series on reset, and the cached children keep counting', async () => {
    const registry = new Registry();
    const h = new FastHistogram('y_seconds', 'help', BUCKETS, registry);
    const child = h.child({ provider: 'p' });
    child.observe(0.5);
    registry.resetMetrics();
    child.observe(0.005);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_count{provider="p"} 1');
    expect(text).toContain('y_seconds_bucket{le="0.01",provider="p"} 1');
    expect(text).toContain('y_seconds_sum{provider="p"} 0.005');
  });
});
