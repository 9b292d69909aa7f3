/**
 * Models and chains: every registered model with the providers and credentials serving it and
 * how many can serve it now, and the virtual models (`models:` in the config) with their
 * fallback chains.
 *
 * @module
 */
import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote, Loading } from '../components/notice';
import { StatusBadge } from '../components/status-badge';
import { subscribe } from '../events';
import type { Credential, ModelView } from '../types';
import { useResource } from '../use-resource';

interface VirtualModel {
  primary?: string;
  fallbacks?: string[];
  [key: string]: unknown;
}

/** Credentials registering `model` with their state for it, from the credentials answer. */
function servingCredentials(model: string, credentials: Credential[]): { id: string; status: string; reason?: string }[] {
  const out: { id: string; status: string; reason?: string }[] = [];
  for (const c of credentials) {
    const state = c.models?.[model];
    if (!state) continue;
    const status = c.status === 'disabled' || c.status === 'unavailable' ? c.status : state.status;
    out.push({ id: c.id, status, ...(state.reason ? { reason: state.reason } : {}) });
  }
  return out;
}

function ModelRow({ view, credentials }: { view: ModelView; credentials: Credential[] }) {
  const serving = servingCredentials(view.model, credentials);
  return (
    <tr>
      <td class="mono">{view.model}</td>
      <td>
        {Object.entries(view.providers).map(([p, n]) => (
          <span class="chip">
            {p} ×{n}
          </span>
        ))}
      </td>
      <td class="num">
        {view.available} / {view.count}
      </td>
      <td class="wrap">
        {serving.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          serving.map((s) => (
            <span class="chip" title={s.reason}>
              <span class="mono">{s.id}</span> <StatusBadge status={s.status} />
            </span>
          ))
        )}
      </td>
      <td class="wrap">
        {view.quotaExceeded.length > 0 && <div class="reason">quota: {view.quotaExceeded.join(', ')}</div>}
        {Object.entries(view.suspended).map(([id, why]) => (
          <div class="reason">
            {id}: {why}
          </div>
        ))}
      </td>
    </tr>
  );
}

/** The models and chains page. */
export function ModelsPage() {
  const models = useResource(() => Promise.all([api.models(), api.credentials()]), [], 10_000);
  const config = useResource(() => api.config(), []);
  useEffect(() => subscribe('credential', models.refreshSoon), []);
  const virtual = (config.data?.config?.models ?? {}) as Record<string, VirtualModel>;
  const [views, credentials] = models.data ?? [[], []];

  return (
    <section>
      <header class="page-head">
        <h1>Models and chains</h1>
      </header>
      <h2>Virtual models</h2>
      <ErrorNote error={config.error} notFound="This host has no config view (GET /v0/management/config answered 404), so its virtual models cannot be shown." />
      {config.data &&
        (Object.keys(virtual).length === 0 ? (
          <p class="muted">No virtual models (the config's `models:` section is empty).</p>
        ) : (
          <table class="data" aria-label="Virtual models">
            <thead>
              <tr>
                <th>Virtual model</th>
                <th>Chain, in order</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(virtual).map(([name, v]) => (
                <tr>
                  <td class="mono">{name}</td>
                  <td>
                    <ol class="chain">
                      {[v.primary, ...(v.fallbacks ?? [])].filter(Boolean).map((step) => (
                        <li class="mono">{String(step)}</li>
                      ))}
                    </ol>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <h2>Registered models</h2>
      <ErrorNote error={models.error} />
      {models.loading && !models.data ? (
        <Loading what="models" />
      ) : (
        <table class="data" aria-label="Models">
          <thead>
            <tr>
              <th>Model</th>
              <th>Providers</th>
              <th class="num">Available</th>
              <th>Credentials</th>
              <th>Held back</th>
            </tr>
          </thead>
          <tbody>
            {views.length === 0 ? (
              <tr>
                <td colSpan={5} class="muted">
                  No models registered.
                </td>
              </tr>
            ) : (
              views.map((v) => <ModelRow view={v} credentials={credentials} />)
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
