/**
 * One request's decision trace: what it asked for and what served it, the plugins' verdicts
 * (an interceptor's names the paths it changed),
 * the candidates in order with why each was skipped, the credential picked and why, every
 * attempt with the cooldown it caused, what translation dropped, the bodies when the host keeps
 * them, and where the time went.
 *
 * @module
 */
import { count, dateTime, ms } from '../format';
import type { RequestTrace } from '../types';
import { Candidates, pickWhy } from './candidates';
import { PluginVerdicts } from './plugin-verdicts';
import { HttpStatus } from './status-badge';

/** The trace `trace`, laid out section by section. */
export function TraceView({ trace, onClose }: { trace: RequestTrace; onClose?: () => void }) {
  const attempts = trace.attempts ?? [];
  const plugins = trace.plugins ?? [];
  const t = trace.timings ?? {};
  return (
    <article class="trace" aria-label="Request trace">
      <header class="page-head">
        <h2>
          Trace <span class="mono">{trace.id}</span>
        </h2>
        {onClose && (
          <button type="button" class="small" onClick={onClose}>
            Close
          </button>
        )}
      </header>
      <dl class="facts">
        <dt>Time</dt>
        <dd>{dateTime(trace.time)}</dd>
        <dt>Client</dt>
        <dd>{trace.client}</dd>
        <dt>Endpoint</dt>
        <dd>
          {trace.endpoint ?? '—'} {trace.format && <span class="muted">({trace.format}{trace.stream ? ', stream' : ''})</span>}
        </dd>
        <dt>Model asked</dt>
        <dd class="mono">{trace.model ?? '—'}</dd>
        <dt>Served by</dt>
        <dd class="mono">{trace.provider ? `${trace.provider}/${trace.upstreamModel ?? '?'} via ${trace.credential ?? '?'}` : '—'}</dd>
        <dt>Status</dt>
        <dd>
          <HttpStatus status={trace.status} /> in {ms(trace.ms)}
        </dd>
        {trace.router && (
          <>
            <dt>Router</dt>
            <dd>{trace.router}</dd>
          </>
        )}
        <dt>Fallback hops</dt>
        <dd>{trace.fallbackHops ?? 0}</dd>
        {trace.usage && (
          <>
            <dt>Tokens</dt>
            <dd>
              {count(trace.usage.inputTokens)} in{trace.usage.cachedInputTokens ? ` (${count(trace.usage.cachedInputTokens)} cached)` : ''}, {count(trace.usage.outputTokens)} out
            </dd>
          </>
        )}
      </dl>

      <h3>Plugins (routers and interceptors)</h3>
      <PluginVerdicts verdicts={plugins} empty="No plugin was asked." />

      <h3>Candidates</h3>
      <Candidates candidates={trace.candidates ?? []} picked={trace.picked?.credential} />

      <h3>Picked</h3>
      <p>{trace.picked ? <><span class="mono">{trace.picked.credential}</span>: {pickWhy(trace.picked.why)}</> : <span class="muted">No credential was picked.</span>}</p>

      <h3>Attempts</h3>
      {attempts.length === 0 ? (
        <p class="muted">No upstream call was made.</p>
      ) : (
        <table class="data">
          <thead>
            <tr>
              <th>#</th>
              <th>Candidate</th>
              <th>Credential</th>
              <th>Status</th>
              <th>Reason</th>
              <th class="num">Time</th>
              <th>Cooldown caused</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a, i) => (
              <tr>
                <td>{i + 1}</td>
                <td class="mono">
                  {a.provider}/{a.model}
                </td>
                <td class="mono">{a.credential}</td>
                <td>
                  <HttpStatus status={a.status} />
                </td>
                <td class="wrap reason">{a.reason}</td>
                <td class="num">{ms(a.ms)}</td>
                <td>{a.cooldownUntil ? `cooling until ${dateTime(a.cooldownUntil)}` : <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Dropped fields</h3>
      <p>{trace.dropped && trace.dropped.length ? trace.dropped.map((d) => <span class="chip mono">{d}</span>) : <span class="muted">Nothing was dropped.</span>}</p>

      {trace.bodies && (
        <>
          <h3>Bodies{trace.bodies.truncated ? ' (cut)' : ''}</h3>
          {trace.bodies.request !== undefined && (
            <>
              <p class="muted">Request</p>
              <pre class="body">{trace.bodies.request}</pre>
            </>
          )}
          {trace.bodies.response !== undefined && (
            <>
              <p class="muted">Answer</p>
              <pre class="body">{trace.bodies.response}</pre>
            </>
          )}
        </>
      )}

      <h3>Timings</h3>
      <dl class="facts">
        <dt>Total</dt>
        <dd>{ms(trace.ms)}</dd>
        <dt>Host</dt>
        <dd>{ms(t.hostMs)}</dd>
        <dt>Upstream</dt>
        <dd>{ms(t.upstreamMs)}</dd>
        <dt>First token</dt>
        <dd>{ms(t.ttftMs)}</dd>
      </dl>
    </article>
  );
}
