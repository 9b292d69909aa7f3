/**
 * Overview: requests per second, errors, p50/p99 latency, time to first token and tokens per
 * second over the last hour. Counts and tokens come from the per-minute usage buckets;
 * latencies from the recent requests page plus the live `request` events (which carry the
 * time each took). Also a line on credential and plugin health.
 *
 * @module
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { LineChart } from '../components/line-chart';
import { Link } from '../components/link';
import { ErrorNote } from '../components/notice';
import { StatusBadge } from '../components/status-badge';
import { subscribe } from '../events';
import { count, ms, percentile, toMs } from '../format';
import type { RequestEvent, UsageBucket } from '../types';
import { MINUTE, fold, slots } from '../usage-series';
import { useResource } from '../use-resource';

/** One finished request, for the latency figures. */
interface Sample {
  t: number;
  ms: number;
  ttft?: number;
  status: number;
}

const HOUR = 60 * MINUTE;
/** Samples kept: enough for an hour of percentiles at moderate traffic, bounded at any. */
const MAX_SAMPLES = 5000;
/** Tiles describe the last few minutes, not the partial current one alone. */
const RECENT = 5 * MINUTE;

function Tile({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div class="tile" aria-label={label}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {hint && <div class="tile-hint muted">{hint}</div>}
    </div>
  );
}

/** Per-slot values of `pick` over the samples falling in each slot; null where none. */
function perSlot(samples: Sample[], times: number[], pick: (s: Sample[]) => number): (number | null)[] {
  const groups: Sample[][] = times.map(() => []);
  const first = times[0] ?? 0;
  for (const s of samples) groups[Math.floor((s.t - first) / MINUTE)]?.push(s);
  return groups.map((g) => (g.length ? pick(g) : null));
}

/** The overview page. */
export function OverviewPage() {
  const [samples, setSamples] = useState<Sample[]>([]);
  const pending = useRef<Sample[]>([]);
  const [now, setNow] = useState(Date.now());

  // Counts and tokens per minute: usage summed over models. A host without usage (404) still gets latency charts.
  const usage = useResource(
    async () => {
      const to = Date.now();
      try {
        const answer = await api.usage('model', to - HOUR, to);
        const all = answer.groups.flatMap((g) => g.buckets ?? []);
        return { buckets: all as UsageBucket[], missing: false };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return { buckets: [] as UsageBucket[], missing: true };
        throw err;
      }
    },
    [],
    10_000,
  );
  const health = useResource(() => Promise.all([api.credentials(), api.plugins()]), [], 10_000);

  useEffect(() => {
    let stop = false;
    // The recent page seeds the latency charts; live events extend them.
    api
      .requests({}, null, 500)
      .then((page) => {
        if (stop) return;
        const seeded = page.items.map((t) => ({ t: toMs(t.time), ms: t.ms, status: t.status, ...(t.timings?.ttftMs !== undefined ? { ttft: t.timings.ttftMs } : {}) }));
        setSamples((old) => [...seeded.reverse(), ...old].slice(-MAX_SAMPLES));
      })
      .catch(() => {});
    const unsubscribe = subscribe('request', (data) => {
      const e = data as RequestEvent;
      pending.current.push({ t: toMs(e.time) || Date.now(), ms: e.ms, status: e.status });
    });
    const timer = setInterval(() => {
      setNow(Date.now());
      if (pending.current.length === 0) return;
      const batch = pending.current;
      pending.current = [];
      setSamples((old) => [...old, ...batch].slice(-MAX_SAMPLES));
    }, 1000);
    return () => {
      stop = true;
      unsubscribe();
      clearInterval(timer);
    };
  }, []);

  const minuteNow = Math.floor(now / MINUTE) * MINUTE;
  const times = useMemo(() => slots(minuteNow - HOUR + MINUTE, minuteNow, MINUTE), [minuteNow]);
  const u = usage.data;
  const usageMissing = u?.missing ?? false;
  const folded = useMemo(() => fold(u?.buckets ?? [], times, MINUTE), [u, times]);
  const recentSamples = samples.filter((s) => s.t >= now - RECENT);
  const hourSamples = samples.filter((s) => s.t >= now - HOUR);

  // Without usage, counts come from the samples (the recent page and live events) instead.
  const reqPerMin = usageMissing ? perSlot(hourSamples, times, (g) => g.length).map((v) => v ?? 0) : folded.map((b) => b.requests);
  const errPerMin = usageMissing ? perSlot(hourSamples, times, (g) => g.filter((s) => s.status >= 400 || s.status === 0).length).map((v) => v ?? 0) : folded.map((b) => b.errors);
  const tokPerSec = folded.map((b) => (b.inputTokens + b.outputTokens) / 60);
  const lastFive = (values: number[]) => values.slice(-5).reduce((a, b) => a + b, 0);
  const ttfts = recentSamples.flatMap((s) => (s.ttft === undefined ? [] : [s.ttft]));
  const latencies = recentSamples.map((s) => s.ms);
  const errorsHour = errPerMin.reduce((a, b) => a + b, 0);
  const requestsHour = reqPerMin.reduce((a, b) => a + b, 0);

  const [credentials, plugins] = health.data ?? [[], []];
  const credTally: Record<string, number> = {};
  for (const c of credentials) credTally[c.status] = (credTally[c.status] ?? 0) + 1;
  const fused = plugins.filter((p) => p.state !== 'active');

  return (
    <section>
      <header class="page-head">
        <h1>Overview</h1>
        <span class="muted">last hour, per minute</span>
      </header>
      <ErrorNote error={usage.error} />
      {usageMissing && <p class="notice">Usage is not available on this host (GET /v0/management/usage answered 404): request counts come from the recent requests, tokens are not shown.</p>}
      <div class="tiles">
        <Tile label="Requests/s" value={count(lastFive(reqPerMin) / 300)} hint="last 5 min" />
        <Tile label="Errors" value={count(errorsHour)} hint={requestsHour ? `${((errorsHour / requestsHour) * 100).toFixed(1)}% of ${count(requestsHour)} in the last hour` : 'last hour'} />
        <Tile label="p50 latency" value={ms(percentile(latencies, 0.5))} hint={`${latencies.length} requests, last 5 min`} />
        <Tile label="p99 latency" value={ms(percentile(latencies, 0.99))} hint="last 5 min" />
        <Tile label="TTFT p50" value={ms(percentile(ttfts, 0.5))} hint={ttfts.length ? `${ttfts.length} streams` : 'no streams in the recent page'} />
        <Tile label="Tokens/s" value={usageMissing ? '—' : count(lastFive(tokPerSec) / 5)} hint="input + output, last 5 min" />
      </div>
      <div class="health">
        <span>
          <Link to="/credentials">Credentials</Link>:{' '}
          {Object.entries(credTally).map(([s, n]) => (
            <span>
              <StatusBadge status={s} /> {n}{' '}
            </span>
          ))}
        </span>
        <span>
          <Link to="/plugins">Plugins</Link>: {plugins.length - fused.length} active
          {fused.map((p) => (
            <span>
              {' '}
              <span class="mono">{p.id}</span> <StatusBadge status={p.state} />
            </span>
          ))}
        </span>
      </div>
      <div class="charts">
        <LineChart label="Requests per second" times={times} format={(v) => count(v)} series={[{ name: 'req/s', tone: 'a', values: reqPerMin.map((v) => v / 60) }]} />
        <LineChart label="Errors per minute" times={times} format={(v) => count(v)} series={[{ name: 'errors', tone: 'c', values: errPerMin }]} />
        <LineChart
          label="Latency"
          times={times}
          format={ms}
          series={[
            { name: 'p50', tone: 'a', values: perSlot(hourSamples, times, (g) => percentile(g.map((s) => s.ms), 0.5)) },
            { name: 'p99', tone: 'b', values: perSlot(hourSamples, times, (g) => percentile(g.map((s) => s.ms), 0.99)) },
          ]}
        />
        <LineChart
          label="Time to first token (streams)"
          times={times}
          format={ms}
          series={[{ name: 'p50', tone: 'a', values: perSlot(hourSamples.filter((s) => s.ttft !== undefined), times, (g) => percentile(g.map((s) => s.ttft!), 0.5)) }]}
        />
        <LineChart label="Tokens per second" times={times} format={(v) => count(v)} series={[{ name: 'tokens/s', tone: 'b', values: usageMissing ? times.map(() => null) : tokPerSec }]} />
      </div>
    </section>
  );
}
