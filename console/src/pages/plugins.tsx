/**
 * Plugins: each plugin's state (active, fused, disabled, rejected) and why, its capabilities,
 * its fuse (since when, next automatic restart), its call counters and a Reset button that
 * restarts a fused plugin now. Live on `plugin` events.
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
import { count, dateTime } from '../format';
import type { PluginSnapshot } from '../types';
import { useResource } from '../use-resource';

/** The plugins page. */
export function PluginsPage() {
  const res = useResource(() => api.plugins(), [], 5000);
  useEffect(() => subscribe('plugin', res.refreshSoon), []);
  const [note, setNote] = useState<string | null>(null);
  const reset = useRef<(id: string) => void>(() => {});
  reset.current = async (id: string) => {
    setNote(null);
    try {
      await api.resetPlugin(id);
    } catch (err) {
      setNote(`Reset of ${id} failed: ${(err as Error).message}`);
    }
    res.refresh();
  };

  const columns = useMemo<Column<PluginSnapshot>[]>(
    () => [
      {
        title: 'Plugin',
        render: (p) => (
          <>
            <span class="mono">{p.id}</span>
            {p.version && <span class="muted"> {p.version}</span>}
          </>
        ),
      },
      { title: 'State', render: (p) => <StatusBadge status={p.state} /> },
      { title: 'Reason', class: 'wrap', render: (p) => <span class="reason">{p.reason ?? '—'}</span> },
      { title: 'Capabilities', render: (p) => p.capabilities.map((c) => <span class="chip">{c}</span>) },
      { title: 'Priority', class: 'num', render: (p) => p.priority ?? 0 },
      { title: 'Threads', class: 'num', render: (p) => p.threads ?? '—' },
      { title: 'Fused at', render: (p) => dateTime(p.fusedAt) },
      { title: 'Restart in', render: (p) => (p.nextRestartAt ? <Countdown until={p.nextRestartAt} /> : <span class="muted">—</span>) },
      { title: 'Calls', class: 'num', render: (p) => count(p.calls) },
      { title: 'Errors', class: 'num', render: (p) => count(p.errors) },
      { title: 'Timeouts', class: 'num', render: (p) => count(p.timeouts) },
      { title: 'Crashes', class: 'num', render: (p) => count(p.crashes) },
      {
        title: '',
        render: (p) => (
          <button type="button" class="small" onClick={() => reset.current(p.id)}>
            Reset
          </button>
        ),
      },
    ],
    [],
  );

  return (
    <section>
      <header class="page-head">
        <h1>Plugins</h1>
      </header>
      <ErrorNote error={res.error} />
      {note && <p class="notice notice-bad">{note}</p>}
      {res.loading && !res.data ? <Loading what="plugins" /> : <Table label="Plugins" columns={columns} rows={res.data ?? []} rowKey={(p) => p.id} empty="No plugins loaded." />}
    </section>
  );
}
