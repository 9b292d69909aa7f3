/**
 * A state word (active, cooling, fused, ...) as a coloured badge; the word itself stays the
 * visible text, so it reads the same without colour.
 *
 * @module
 */

const TONE: Record<string, string> = {
  active: 'ok',
  ok: 'ok',
  cooling: 'warn',
  'lower-tier': 'info',
  fused: 'bad',
  unavailable: 'bad',
  rejected: 'bad',
  disabled: 'off',
};

/** The word `status` in a badge coloured by what it means. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${TONE[status] ?? 'info'}`}>{status}</span>;
}

/** An HTTP status code coloured by class (2xx fine, 4xx the client's, 5xx and 0 failures). */
export function HttpStatus({ status }: { status: number }) {
  const tone = status >= 200 && status < 300 ? 'ok' : status === 429 || (status >= 400 && status < 500) ? 'warn' : 'bad';
  return <span class={`code code-${tone}`}>{status === 0 ? 'network' : status}</span>;
}
