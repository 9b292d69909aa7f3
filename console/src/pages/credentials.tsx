/**
 * Credentials: every credential by id with its status word, why it is benched, a live
 * countdown to when it is tried again, its last error, counters and a Reset button. Built for
 * hundreds of rows: one table render per answer, unchanged rows kept, one shared 1 s tick for
 * all countdowns. Refreshed on `credential` events and every 5 s.
 *
 * @module
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { Countdown } from '../components/countdown';
import { ErrorNote, Loading } from '../components/notice';
import { StatusBadge } from '../components/status-badge';
import { type Column, Table } from '../components/table';
import { subscribe } from '../events';
import { count, toMs } from '../format';
import { keepSame } from '../keep-same';
import type { Credential } from '../types';
import { useResource } from '../use-resource';

/** A credential with what the row shows worked out once per answer. */
interface Row extends Credential {
  /** The soonest retry time: the credential's own or any cooling model's. */
  retryAt?: string;
  /** Why it is benched: its own reason, or each cooling model's. */
  why: string[];
}

function toRow(c: Credential): Row {
  const why: string[] = [];
  if (c.reason) why.push(c.reason);
  let retry = toMs(c.nextRetryAt);
  for (const [model, state] of Object.entries(c.models ?? {})) {
    if (state.status === 'active') continue;
    why.push(`${model}: ${state.reason ?? state.status}`);
    const at = toMs(state.nextRetryAt);
    if (!Number.isNaN(at) && (Number.isNaN(retry) || at < retry)) retry = at;
  }
  return { ...c, why, ...(Number.isNaN(retry) ? {} : { retryAt: new Date(retry).toISOString() }) };
}

function lastError(c: Credential): string {
  if (!c.lastError) return '—';
  if (typeof c.lastError === 'string') return c.lastError;
  return [c.lastError.status, c.lastError.message].filter((x) => x !== undefined).join(' ') || '—';
}

const STATUSES = ['active', 'cooling', 'unavailable', 'disabled'] as const;

/** The credentials page. */
export function CredentialsPage() {
  const rowsRef = useRef<Row[] | undefined>(undefined);
  const res = useResource(
    async () => {
      const rows = keepSame(rowsRef.current, (await api.credentials()).map(toRow), (r) => r.id);
      rowsRef.current = rows;
      return rows;
    },
    [],
    5000,
  );
  useEffect(() => subscribe('credential', res.refreshSoon), []);
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const [resetting, setResetting] = useState<Record<string, string>>({});
  const reset = useRef<(id: string) => void>(() => {});
  reset.current = async (id: string) => {
    setResetting((r) => ({ ...r, [id]: 'resetting' }));
    try {
      await api.resetCredential(id);
      setResetting(({ [id]: _, ...r }) => r);
    } catch (err) {
      setResetting((r) => ({ ...r, [id]: (err as Error).message }));
    }
    res.refresh();
  };

  // Columns are made once: rows re-render only when their data changes.
  const columns = useMemo<Column<Row>[]>(
    () => [
      {
        title: 'Credential',
        render: (c) => (
          <>
            <span class="mono">{c.id}</span>
            {c.label && c.label !== c.id ? <span class="muted"> {c.label}</span> : null}
          </>
        ),
      },
      { title: 'Provider', render: (c) => c.provider },
      { title: 'Priority', class: 'num', render: (c) => c.priority ?? 0 },
      { title: 'Status', render: (c) => <StatusBadge status={c.status} /> },
      {
        title: 'Cooldown reason',
        class: 'wrap',
        render: (c) => (c.why.length ? c.why.map((w) => <div class="reason">{w}</div>) : <span class="muted">—</span>),
      },
      { title: 'Retry in', render: (c) => (c.retryAt ? <Countdown until={c.retryAt} /> : <span class="muted">—</span>) },
      { title: 'Last error', class: 'wrap', render: (c) => <span class="reason">{lastError(c)}</span> },
      { title: 'Successes', class: 'num', render: (c) => count(c.successes) },
      { title: 'Failures', class: 'num', render: (c) => count(c.failures) },
      { title: 'In flight', class: 'num', render: (c) => count(c.inFlight ?? 0) },
      {
        title: '',
        render: (c) => (
          <button type="button" class="small" onClick={() => reset.current(c.id)}>
            Reset
          </button>
        ),
      },
    ],
    [],
  );

  const rows = res.data ?? [];
  const needle = filter.trim().toLowerCase();
  const shown = useMemo(
    () =>
      rows.filter(
        (r) =>
          (!status || r.status === status) &&
          (!needle || r.id.toLowerCase().includes(needle) || r.provider.toLowerCase().includes(needle) || (r.label ?? '').toLowerCase().includes(needle) || r.why.some((w) => w.toLowerCase().includes(needle))),
      ),
    [rows, needle, status],
  );
  const tally = useMemo(() => {
    const t: Record<string, number> = {};
    for (const r of rows) t[r.status] = (t[r.status] ?? 0) + 1;
    return t;
  }, [rows]);
  const failures = Object.entries(resetting).filter(([, v]) => v !== 'resetting');

  return (
    <section>
      <header class="page-head">
        <h1>Credentials</h1>
        <div class="tally">
          {STATUSES.map((s) => (
            <span>
              <StatusBadge status={s} /> {tally[s] ?? 0}
            </span>
          ))}
        </div>
      </header>
      <div class="toolbar">
        <input type="search" placeholder="Filter by id, provider, label or reason" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} aria-label="Filter credentials" />
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} aria-label="Status">
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <span class="muted">
          {shown.length} of {rows.length}
        </span>
      </div>
      <ErrorNote error={res.error} />
      {failures.map(([id, message]) => (
        <p class="notice notice-bad">
          Reset of {id} failed: {message}
        </p>
      ))}
      {res.loading && !res.data ? <Loading what="credentials" /> : <Table label="Credentials" columns={columns} rows={shown} rowKey={(r) => r.id} empty="No credentials match." />}
    </section>
  );
}
