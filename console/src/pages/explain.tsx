/**
 * Explain: where a request would go now, without sending it. The operator picks the client
 * format and pastes a body; the host answers with the routers' verdicts, the chain with each
 * credential's state, and the credential it would pick (`POST /v0/management/explain`).
 *
 * @module
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Candidates, pickWhy } from '../components/candidates';
import { ErrorNote } from '../components/notice';
import { PluginVerdicts } from '../components/plugin-verdicts';
import type { ExplainPlan } from '../types';

const FORMATS = ['openai', 'openai-responses', 'anthropic', 'gemini'] as const;
type Format = (typeof FORMATS)[number];

const EXAMPLES: Record<Format, unknown> = {
  openai: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hello' }] },
  'openai-responses': { model: 'gpt-4.1', input: 'Hello' },
  anthropic: { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] },
  gemini: { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] },
};
const example = (f: Format) => JSON.stringify(EXAMPLES[f], null, 2);

/** The explain page. */
export function ExplainPage() {
  const [format, setFormat] = useState<Format>('openai');
  const [body, setBody] = useState(example('openai'));
  const [model, setModel] = useState('gemini-2.5-pro');
  const [plan, setPlan] = useState<ExplainPlan | null>(null);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const changeFormat = (next: Format) => {
    // Swap the example only while the body is still the previous format's untouched example.
    if (body === example(format)) setBody(example(next));
    setFormat(next);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return setError(new Error(`The body is not valid JSON: ${(err as Error).message}`));
    }
    setBusy(true);
    try {
      setPlan(await api.explain(format, parsed, format === 'gemini' ? model : undefined));
    } catch (err) {
      setPlan(null);
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="split">
      <div class="pane">
        <header class="page-head">
          <h1>Explain</h1>
        </header>
        <p class="muted">Where would this request go now? Nothing is sent upstream, no cursor moves and no usage is counted.</p>
        <form class="explain" onSubmit={submit}>
          <label>
            Client format{' '}
            <select name="format" value={format} onChange={(e) => changeFormat(e.currentTarget.value as Format)}>
              {FORMATS.map((f) => (
                <option value={f}>{f}</option>
              ))}
            </select>
          </label>
          {format === 'gemini' && (
            <label>
              Model (Gemini names it in the URL){' '}
              <input name="model" value={model} onInput={(e) => setModel(e.currentTarget.value)} />
            </label>
          )}
          <label for="explain-body">Request body (JSON)</label>
          <textarea id="explain-body" name="body" rows={14} spellcheck={false} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {busy ? 'Explaining…' : 'Explain'}
          </button>
        </form>
        <ErrorNote error={error} />
      </div>
      <div class="pane">
        {plan && (
          <article class="plan" aria-label="Plan">
            <h2>Picked</h2>
            <p class="picked">
              {plan.picked ? (
                <>
                  <span class="mono">
                    {plan.picked.provider}/{plan.picked.model}
                  </span>{' '}
                  via <span class="mono">{plan.picked.credential}</span>
                  {plan.picked.why && <span class="muted">: {pickWhy(plan.picked.why)}</span>}
                </>
              ) : (
                <span class="bad">Nothing can serve this request now.</span>
              )}
            </p>
            <h2>Routers</h2>
            {plan.router && (
              <p>
                Chain chosen by router plugin <span class="mono">{plan.router}</span>.
              </p>
            )}
            <PluginVerdicts verdicts={plan.routers} empty="No router plugin was asked." />
            <h2>Chain</h2>
            <Candidates candidates={plan.chain} picked={plan.picked?.credential} />
          </article>
        )}
      </div>
    </section>
  );
}
