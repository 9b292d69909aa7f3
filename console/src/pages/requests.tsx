/**
 * The live request log: recent requests newest first (cursor-paged, one call per page),
 * filtered by model, provider, credential, client or status, with new requests prepended as
 * their `request` events arrive. Clicking a row opens its decision trace. Rows held and rows
 * in the DOM are both capped, so a ring of 10,000 traces and a busy stream stay fast.
 *
 * @module
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote, Loading } from '../components/notice';
import { HttpStatus } from '../components/status-badge';
import { type Column, Table } from '../components/table';
import { TraceView } from '../components/trace-view';
import { subscribe } from '../events';
import { clock, ms } from '../format';
import { navigate } from '../router';
import type { RequestEvent, RequestTrace } from '../types';
import { useResource } from '../use-resource';

/** What a row shows: the `request` event's fields (a page's traces are cut down to these). */
type Row = RequestEvent;

/** Rows kept in memory; live rows beyond this push the oldest out. */
const MAX_ROWS = 2000;
/** Rows rendered at first and added per "Show more". */
const WINDOW = 100;
/** Live rows are added in batches at most this often, whatever the event rate. */
const FLUSH_MS = 250;

const FILTERS = ['model', 'provider', 'credential', 'client', 'status'] as const;
type Filter = Partial<Record<(typeof FILTERS)[number], string>>;

function toRow(t: RequestTrace): Row {
  return { id: t.id, time: t.time, client: t.client, model: t.model, provider: t.provider, credential: t.credential, status: t.status, ms: t.ms };
}

/** Whether a live event belongs in the log under `filter` (the same tests the host applies to a page). */
function matches(e: Row, f: Filter): boolean {
  if (f.model && e.model !== f.model) return false;
  if (f.provider && e.provider !== f.provider) return false;
  if (f.credential && e.credential !== f.credential) return false;
  if (f.client && e.client !== f.client) return false;
  if (f.status && String(e.status) !== f.status) return false;
  return true;
}

const COLUMNS: Column<Row>[] = [
  { title: 'Time', render: (r) => clock(r.time) },
  { title: 'Client', render: (r) => r.client },
  { title: 'Model', render: (r) => <span class="mono">{r.model ?? '—'}</span> },
  { title: 'Provider', render: (r) => r.provider ?? '—' },
  { title: 'Credential', render: (r) => <span class="mono">{r.credential ?? '—'}</span> },
  { title: 'Status', render: (r) => <HttpStatus status={r.status} /> },
  { title: 'Time taken', class: 'num', render: (r) => ms(r.ms) },
];

/** The requests page; `selected` is the request id in the URL (`/requests/<id>`), if any. */
export function RequestsPage({ selected }: { selected: string | null }) {
  const [draft, setDraft] = useState<Filter>({});
  const [filter, setFilter] = useState<Filter>({});
  const [rows, setRows] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  /** Live rows pushed old ones out: the cursor no longer follows the last row held. */
  const [cut, setCut] = useState(false);
  const [shown, setShown] = useState(WINDOW);
  const [live, setLive] = useState(true);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>(undefined);
  const pending = useRef<Row[]>([]);
  const liveRef = useRef(live);
  liveRef.current = live;
  const filterRef = useRef(filter);
  filterRef.current = filter;

  const loadFirst = async (f: Filter) => {
    setLoading(true);
    try {
      const page = await api.requests(f);
      pending.current = [];
      setRows(page.items.map(toRow));
      setCursor(page.nextCursor);
      setCut(false);
      setShown(WINDOW);
      setError(undefined);
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => void loadFirst(filter), [filter]);

  useEffect(() => {
    const unsubscribe = subscribe('request', (data) => {
      const e = data as Row;
      if (liveRef.current && matches(e, filterRef.current)) pending.current.push(e);
    });
    // Batched: at 1,000 requests/s this is 4 renders a second, not 1,000.
    const timer = setInterval(() => {
      if (pending.current.length === 0) return;
      const batch = pending.current.reverse();
      pending.current = [];
      setRows((old) => {
        const seen = new Set(old.slice(0, 200).map((r) => r.id));
        const merged = [...batch.filter((r) => !seen.has(r.id)), ...old];
        if (merged.length > MAX_ROWS) {
          setCut(true);
          return merged.slice(0, MAX_ROWS);
        }
        return merged;
      });
    }, FLUSH_MS);
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }, []);

  const older = async () => {
    if (shown < rows.length) return setShown(shown + WINDOW);
    // Paging back: stop prepending, so the rows stay where the reader is.
    setLive(false);
    if (cut) return void loadFirst(filter);
    if (!cursor) return;
    try {
      const page = await api.requests(filter, cursor);
      const known = new Set(rows.map((r) => r.id));
      setRows([...rows, ...page.items.map(toRow).filter((r) => !known.has(r.id))].slice(0, MAX_ROWS));
      setCursor(page.nextCursor);
      setShown(shown + WINDOW);
    } catch (err) {
      setError(err as Error);
    }
  };

  const trace = useResource(() => (selected ? api.request(selected) : Promise.resolve(undefined)), [selected]);
  const visible = useMemo(() => rows.slice(0, shown), [rows, shown]);

  return (
    <section class={selected ? 'split' : ''}>
      <div class="pane">
        <header class="page-head">
          <h1>Requests</h1>
          <button
            type="button"
            class="small"
            onClick={() => {
              if (!live) void loadFirst(filter);
              setLive(!live);
            }}
          >
            {live ? 'Pause live' : 'Resume live'}
          </button>
        </header>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            setLive(true);
            setFilter(Object.fromEntries(Object.entries(draft).filter(([, v]) => v)) as Filter);
          }}
        >
          {FILTERS.map((name) => (
            <input
              name={name}
              placeholder={name}
              aria-label={`Filter by ${name}`}
              class="narrow"
              inputMode={name === 'status' ? 'numeric' : undefined}
              value={draft[name] ?? ''}
              onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value.trim() })}
            />
          ))}
          <button type="submit" class="small">
            Filter
          </button>
        </form>
        <ErrorNote error={error} />
        <p class="muted">
          {live ? 'Live: new requests appear at the top.' : 'Paused.'} {rows.length} loaded{shown < rows.length ? `, ${shown} shown` : ''}.
        </p>
        {loading && rows.length === 0 ? (
          <Loading what="requests" />
        ) : (
          <Table label="Requests" columns={COLUMNS} rows={visible} rowKey={(r) => r.id} selectedKey={selected} onRowClick={(r) => navigate(`/requests/${encodeURIComponent(r.id)}`)} empty="No requests yet." />
        )}
        {(shown < rows.length || cursor || cut) && (
          <button type="button" class="small more" onClick={older}>
            {shown < rows.length ? 'Show more' : 'Older requests'}
          </button>
        )}
      </div>
      {selected && (
        <div class="pane">
          <ErrorNote error={trace.error} notFound={`Request ${selected} is no longer in the host's trace ring.`} />
          {trace.data && trace.data.id === selected ? <TraceView trace={trace.data} onClose={() => navigate('/requests')} /> : !trace.error && <Loading what="the trace" />}
        </div>
      )}
    </section>
  );
}
