/**
 * A chain's candidates in order, each with why it was skipped (as words: "cooling until
 * 14:03:07") and its credentials' states. Shared by the trace view and the explain page.
 *
 * @module
 */
import { dateTime } from '../format';
import type { Candidate } from '../types';
import { StatusBadge } from './status-badge';

const SKIP_WORDS: Record<string, string> = {
  cooling: 'cooling',
  excluded: 'excluded by the config',
  'lower-tier': 'lower tier (a higher-priority credential was ready)',
  unavailable: 'unavailable (nothing can serve it)',
  deadline: "deadline (its cooldown outlives the request's deadline)",
};

/** Why a candidate was skipped, as a sentence. */
export function skipText(skipped: { reason: string; until?: string }): string {
  const words = SKIP_WORDS[skipped.reason] ?? skipped.reason;
  return skipped.until ? `${words} until ${dateTime(skipped.until)}` : words;
}

const WHY_WORDS: Record<string, string> = {
  affinity: 'session affinity (the session was bound to it)',
  'only-ready': 'the only ready credential',
};

/** Why a credential was picked (`round-robin`, `affinity`, `scheduler:<plugin>`, ...), as words. */
export function pickWhy(reason: string): string {
  if (reason.startsWith('scheduler:')) return `scheduler plugin ${reason.slice('scheduler:'.length)}`;
  return WHY_WORDS[reason] ?? `strategy ${reason}`;
}

/** The candidates of a chain; `picked` (a credential id) is marked where it was chosen. */
export function Candidates({ candidates, picked }: { candidates: Candidate[]; picked?: string }) {
  if (candidates.length === 0) return <p class="muted">No candidates were recorded.</p>;
  return (
    <ol class="candidates">
      {candidates.map((c) => (
        <li class={c.skipped ? 'skipped' : ''}>
          <div>
            <span class="mono">
              {c.provider}/{c.model}
            </span>{' '}
            {c.skipped ? <span class="skip">skipped: {skipText(c.skipped)}</span> : <span class="muted">usable</span>}
          </div>
          {c.active !== undefined && c.active > 0 && (
            <div class="muted">
              {c.active} active credential{c.active === 1 ? '' : 's'}
              {picked?.startsWith(`${c.provider}#`) && !c.skipped ? `, ${picked} among them` : ''}
            </div>
          )}
          {c.credentials && c.credentials.length > 0 && (
            <ul class="creds">
              {c.credentials.map((cr) => (
                <li>
                  <span class="mono">{cr.id}</span> <StatusBadge status={cr.status} />
                  {cr.id === picked && <strong> picked</strong>}
                  {cr.status === 'cooling' && (
                    <span class="reason">
                      {' '}
                      cooling until {dateTime(cr.nextRetryAt)}
                      {cr.reason ? `: ${cr.reason}` : ''}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}
