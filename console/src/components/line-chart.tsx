/**
 * A small time-series line chart drawn as SVG by hand (no chart library, nothing fetched).
 * The plot stretches to its box; labels are HTML beside it so they never stretch with it.
 *
 * @module
 */
import { clock } from '../format';

export interface Series {
  name: string;
  /** One value per x slot; null is a gap. */
  values: (number | null)[];
  /** CSS colour class suffix: `a`, `b`, `c`. */
  tone: 'a' | 'b' | 'c';
}

const W = 600;
const H = 120;
/** Room at the edges, so a dot on the first or last slot is not cut in half. */
const PAD = 4;

/** Lines for `series` over the slots whose start times are `times` (epoch ms); `format` writes the values. */
export function LineChart({ series, times, format, label }: { series: Series[]; times: number[]; format: (v: number) => string; label: string }) {
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const top = max > 0 ? max * 1.1 : 1;
  const step = times.length > 1 ? (W - 2 * PAD) / (times.length - 1) : 0;
  const x = (i: number) => (PAD + i * step).toFixed(1);
  const y = (v: number) => (H - PAD - (v / top) * (H - 2 * PAD)).toFixed(1);
  const path = (values: (number | null)[]) => {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${x(i)},${y(v)}`;
      pen = true;
    });
    return d;
  };
  // A value with no neighbour draws no line: a zero-length round-capped stroke shows it as a dot
  // (a circle would stretch with the plot).
  const dots = (values: (number | null)[]) =>
    values.map((v, i) => (v !== null && values[i - 1] == null && values[i + 1] == null ? `M${x(i)},${y(v)}h0` : '')).join('');
  return (
    <figure class="chart" aria-label={label}>
      <figcaption>
        <span>{label}</span>
        <span class="legend">
          {series.map((s) => (
            <span class={`key key-${s.tone}`}>{s.name}</span>
          ))}
        </span>
      </figcaption>
      <div class="plot">
        <span class="ymax">{format(max)}</span>
        <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={label}>
          <line x1="0" y1={H} x2={W} y2={H} class="axis" />
          {series.map((s) => (
            <>
              <path d={path(s.values)} class={`line line-${s.tone}`} vector-effect="non-scaling-stroke" />
              <path d={dots(s.values)} class={`dot line-${s.tone}`} vector-effect="non-scaling-stroke" />
            </>
          ))}
        </svg>
      </div>
      <div class="xaxis">
        <span>{times.length ? clock(times[0]) : ''}</span>
        <span>{times.length ? clock(times[times.length - 1]) : ''}</span>
      </div>
    </figure>
  );
}
