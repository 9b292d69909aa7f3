/**
 * A per-minute bar chart drawn as SVG by hand; each bar's tooltip says its minute and value.
 *
 * @module
 */
import { clock, count } from '../format';

export interface Bar {
  /** The minute's start, epoch ms. */
  t: number;
  value: number;
  /** Part of `value` drawn in the alert colour (errors). */
  alert?: number;
}

const W = 600;
const H = 80;

/** Bars for `bars`, in time order; `unit` names what they count in the tooltips. */
export function BarChart({ bars, unit, label }: { bars: Bar[]; unit: string; label: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = bars.length ? W / bars.length : W;
  const width = Math.max(1, slot * 0.8);
  return (
    <figure class="chart bars" aria-label={label}>
      <div class="plot">
        <span class="ymax">{count(max)}</span>
        <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={label}>
          <line x1="0" y1={H} x2={W} y2={H} class="axis" />
          {bars.map((b, i) => {
            const h = (b.value / max) * H;
            const e = ((b.alert ?? 0) / max) * H;
            return (
              <g>
                <title>{`${clock(b.t)}: ${count(b.value)} ${unit}${b.alert ? `, ${count(b.alert)} errors` : ''}`}</title>
                <rect x={i * slot} y={H - h} width={width} height={h} class="bar" />
                {e > 0 && <rect x={i * slot} y={H - e} width={width} height={e} class="bar bar-alert" />}
              </g>
            );
          })}
        </svg>
      </div>
      <div class="xaxis">
        <span>{bars.length ? clock(bars[0]!.t) : ''}</span>
        <span>{bars.length ? clock(bars[bars.length - 1]!.t) : ''}</span>
      </div>
    </figure>
  );
}
