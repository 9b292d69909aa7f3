/**
 * A live countdown to a deadline, ticking with the shared 1 s clock (no timer of its own).
 *
 * @module
 */
import { toMs, remaining } from '../format';
import { useNow } from '../tick';

/** Seconds left until `until` as text; `data-seconds` carries the number (for tests and tools). */
export function Countdown({ until }: { until: string | number | undefined }) {
  const now = useNow();
  const at = toMs(until);
  if (Number.isNaN(at)) return <span class="muted">—</span>;
  const seconds = Math.max(0, Math.ceil((at - now) / 1000));
  return (
    <span class="countdown" data-seconds={seconds} title={new Date(at).toISOString()}>
      {seconds > 0 ? remaining(seconds) : 'due'}
    </span>
  );
}
