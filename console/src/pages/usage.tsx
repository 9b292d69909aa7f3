/**
 * Usage: requests, tokens and errors per minute by client key (its configured name) and by
 * model, from `GET /v0/management/usage`. Each group's name is written next to its totals
 * and bars.
 *
 * @module
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { BarChart } from '../components/bar-chart';
import { ErrorNote, Loading } from '../components/notice';
import { count, toMs } from '../format';
import type { UsageAnswer, UsageGroup } from '../types';
import { type Metric, fold, metricOf, slotMs, slots } from '../usage-series';
import { useResource } from '../use-resource';

const RANGES = { '15m': 15, '1h': 60, '6h': 360, '24h': 1440 } as const;
type Range = keyof typeof RANGES;

const NOT_FOUND = 'Usage is not available on this host: GET /v0/management/usage answered 404 (the host predates usage tracking). Update the host to see usage by client key and model.';

function GroupCard({ group, from, to, metric }: { group: UsageGroup; from: number; to: number; metric: Metric }) {
  const step = slotMs(from, to);
  const buckets = fold(group.buckets ?? [], slots(from, to, step), step);
  const bars = buckets.map((b) => ({ t: toMs(b.minute), value: metricOf(b, metric), ...(metric === 'requests' ? { alert: b.errors } : {}) }));
  return (
    <div class="group" data-key={group.key}>
      <div class="group-head">
        <span class="group-key mono">{group.key}</span>
        <span class="totals">
          <span>
            <b class="group-requests">{count(group.requests)}</b> requests
          </span>
          <span>
            <b>{count(group.inputTokens, true)}</b> in
          </span>
          <span>
            <b>{count(group.outputTokens, true)}</b> out
          </span>
          <span>
            <b>{count(group.cachedTokens, true)}</b> cached
          </span>
          <span class={group.errors ? 'bad' : ''}>
            <b>{count(group.errors)}</b> errors
          </span>
        </span>
      </div>
      <BarChart bars={bars} unit={metric} label={`${metric} per ${step / 60_000 === 1 ? 'minute' : `${step / 60_000} minutes`} for ${group.key}`} />
    </div>
  );
}

function Groups({ title, answer, metric, from, to }: { title: string; answer: UsageAnswer | undefined; metric: Metric; from: number; to: number }) {
  const groups = [...(answer?.groups ?? [])].sort((a, b) => metricOf(b, metric) - metricOf(a, metric) || a.key.localeCompare(b.key));
  return (
    <section class="usage-groups" aria-label={title}>
      <h2>{title}</h2>
      {groups.length === 0 ? <p class="muted">No traffic in this range.</p> : groups.map((g) => <GroupCard group={g} metric={metric} from={from} to={to} />)}
    </section>
  );
}

/** The usage page. */
export function UsagePage() {
  const [range, setRange] = useState<Range>('1h');
  const [metric, setMetric] = useState<Metric>('requests');
  const res = useResource(
    async () => {
      const to = Date.now();
      const from = to - RANGES[range] * 60_000;
      const [byClient, byModel] = await Promise.all([api.usage('client', from, to), api.usage('model', from, to)]);
      return { from, to, byClient, byModel };
    },
    [range],
    15_000,
  );
  const d = res.data;
  return (
    <section>
      <header class="page-head">
        <h1>Usage</h1>
        <div class="toolbar">
          <label>
            Range{' '}
            <select value={range} onChange={(e) => setRange(e.currentTarget.value as Range)}>
              {Object.keys(RANGES).map((r) => (
                <option value={r}>last {r}</option>
              ))}
            </select>
          </label>
          <label>
            Chart{' '}
            <select value={metric} onChange={(e) => setMetric(e.currentTarget.value as Metric)}>
              <option value="requests">requests</option>
              <option value="tokens">tokens</option>
              <option value="errors">errors</option>
            </select>
          </label>
          <button type="button" class="small" onClick={res.refresh}>
            Refresh
          </button>
        </div>
      </header>
      <ErrorNote error={res.error} notFound={NOT_FOUND} />
      {res.loading && !d ? (
        <Loading what="usage" />
      ) : (
        d && (
          <div class="columns">
            <Groups title="By client key" answer={d.byClient} metric={metric} from={d.from} to={d.to} />
            <Groups title="By model" answer={d.byModel} metric={metric} from={d.from} to={d.to} />
          </div>
        )
      )}
    </section>
  );
}
