/**
 * Config: the running config as the host shows it (secrets already `[redacted]` by the host),
 * read-only, with Validate (is the file on disk valid now?) and Reload (apply it).
 *
 * @module
 */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ErrorNote, Loading } from '../components/notice';
import { useResource } from '../use-resource';

type Outcome = { tone: 'ok' | 'bad'; text: string } | null;

/** The config page. */
export function ConfigPage() {
  const res = useResource(() => api.config(), []);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const act = async (what: 'validate' | 'reload') => {
    setBusy(true);
    setOutcome(null);
    try {
      if (what === 'validate') {
        const answer = await api.validateConfig();
        setOutcome(answer.valid ? { tone: 'ok', text: 'The config file is valid.' } : { tone: 'bad', text: `Invalid: ${answer.error}` });
      } else {
        await api.reload();
        setOutcome({ tone: 'ok', text: 'Reloaded: the config file and the plugins dir were read again.' });
        res.refresh();
      }
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setOutcome({ tone: 'bad', text: status === 404 ? `This host has no ${what} endpoint (404).` : `${what === 'validate' ? 'Invalid' : 'Not reloaded'}: ${(err as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <header class="page-head">
        <h1>Config</h1>
        <div class="toolbar">
          <button type="button" class="small" disabled={busy} onClick={() => act('validate')}>
            Validate
          </button>
          <button type="button" class="small" disabled={busy} onClick={() => act('reload')}>
            Reload
          </button>
        </div>
      </header>
      {outcome && (
        <p class={`notice notice-${outcome.tone}`} role="status">
          {outcome.text}
        </p>
      )}
      <ErrorNote error={res.error} notFound="This host has no config view (GET /v0/management/config answered 404)." />
      {res.loading && !res.data ? (
        <Loading what="the config" />
      ) : (
        res.data && (
          <>
            <p class="muted">
              {res.data.path ? (
                <>
                  File: <span class="mono">{res.data.path}</span>
                </>
              ) : (
                'No config file: built-in defaults and environment variables.'
              )}{' '}
              Secrets are shown as [redacted].
            </p>
            <pre class="config" aria-label="Running config">
              {JSON.stringify(res.data.config, null, 2)}
            </pre>
          </>
        )
      )}
    </section>
  );
}
