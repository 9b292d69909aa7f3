/**
 * The plugins a request (or an explain plan) asked, with each one's stage, verdict and time.
 * Shared by the trace view and the explain page.
 *
 * @module
 */
import { ms } from '../format';
import type { PluginVerdict } from '../types';

export function PluginVerdicts({ verdicts, empty }: { verdicts: PluginVerdict[]; empty: string }) {
  if (verdicts.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="data">
      <thead>
        <tr>
          <th>Plugin</th>
          <th>Stage</th>
          <th>Verdict</th>
          <th class="num">Time</th>
        </tr>
      </thead>
      <tbody>
        {verdicts.map((p) => (
          <tr>
            <td class="mono">{p.plugin}</td>
            <td>{p.stage}</td>
            <td>{p.verdict}</td>
            <td class="num">{ms(p.ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
