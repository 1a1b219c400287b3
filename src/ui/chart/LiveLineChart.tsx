// The run dashboard's streaming line charts (loss terms, learning rate, train accuracy, eval
// metrics, LEAD layer weights, LwF drift), drawn as plain SVG by React, in the manner of
// tensorflow/playground's linechart.ts (style.md: "charts from append-only series").
//
// Why not Recharts here: a Recharts 3 chart costs 45-70 ms of main-thread time per data update
// on the 2-core test machine with nothing else running (its store, selectors and effects
// re-run for every axis, series and tooltip; measured in test/browser/live.test.mjs with
// LIVE_TRACE=1: every task over 50 ms was one such update, and with these charts left out none
// remained), so a live run broke the product's bar of no main-thread task over 100 ms as soon as
// training shared the CPU. This chart draws the same series in a few milliseconds (the layer
// distribution bars are drawn the same way, run/DistributionExplorer.tsx). Recharts still draws
// the views that do not stream step by step: the Compare view's overlaid curves and per-query
// bars, PROD's stage timeline and rank scatter.
import { memo, useId, useMemo, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { fmtNum } from '../format';
import type { SeriesPoint } from '../series';
import { sameChartProps, type ChartLine, type SeriesChartProps } from './SeriesChart';
import { dataRanges, stepAxis, valueAxis } from './ticks';
import { useWidth } from './useWidth';

const MARGIN = { top: 10, right: 16, bottom: 36, left: 64 };
const NO_GUIDES: NonNullable<SeriesChartProps['guides']> = [];

/** The point of `pts` (sorted by x) nearest to x. */
function nearest(pts: readonly SeriesPoint[], x: number): SeriesPoint | null {
  if (pts.length === 0) return null;
  let lo = 0;
  let hi = pts.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (pts[mid].x < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(pts[lo].x - x) <= Math.abs(pts[hi].x - x) ? pts[lo] : pts[hi];
}

export const LiveLineChart = memo(function LiveLineChart({
  lines,
  xLabel,
  yLabel,
  height = 240,
  markers = [],
  envelope = true,
  yDomain,
  yTickFormat = fmtNum,
  description,
  guides = NO_GUIDES,
}: SeriesChartProps) {
  const { ref, width } = useWidth(560);
  const clipId = useId();
  const descId = useId();
  const [hoverX, setHoverX] = useState<number | null>(null);

  const geo = useMemo(() => {
    const r = dataRanges(lines, envelope);
    const xAxis = stepAxis(r.x0, r.x1);
    // Guides (the loss at chance) stay in view: the value range widens to them once there is data.
    let [y0, y1] = [r.y0, r.y1];
    if (Number.isFinite(y0)) for (const g of guides) [y0, y1] = [Math.min(y0, g.y), Math.max(y1, g.y)];
    const yAxis = valueAxis(y0, y1, yDomain);
    const w = Math.max(10, width - MARGIN.left - MARGIN.right);
    const h = Math.max(10, height - MARGIN.top - MARGIN.bottom);
    const [dx0, dx1] = xAxis.domain;
    const [dy0, dy1] = yAxis.domain;
    const sx = (x: number) => MARGIN.left + ((x - dx0) / (dx1 - dx0 || 1)) * w;
    const sy = (y: number) => MARGIN.top + h - ((y - dy0) / (dy1 - dy0 || 1)) * h;
    const r1 = (v: number) => Math.round(v * 10) / 10;
    const paths = lines.map((l) => {
      const pts = l.series.points;
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${r1(sx(p.x))},${r1(sy(p.y))}`).join('');
      const band =
        envelope && l.series.stride > 1 && pts.length > 1
          ? pts.map((p, i) => `${i ? 'L' : 'M'}${r1(sx(p.x))},${r1(sy(p.max))}`).join('') +
            [...pts].reverse().map((p) => `L${r1(sx(p.x))},${r1(sy(p.min))}`).join('') +
            'Z'
          : null;
      return { l, d, band };
    });
    // The x positions the keyboard steps through: those of the longest series.
    const longest = lines.reduce<readonly SeriesPoint[]>((a, l) => (l.series.points.length > a.length ? l.series.points : a), []);
    return { xAxis, yAxis, w, h, sx, sy, paths, stops: longest.map((p) => p.x), x0: dx0, x1: dx1 };
  }, [lines, envelope, yDomain, width, height, guides]);

  const { xAxis, yAxis, w, h, sx, sy, paths } = geo;
  const hover =
    hoverX === null
      ? null
      : lines
          .map((l) => ({ l, p: nearest(l.series.points, hoverX) }))
          .filter((x): x is { l: ChartLine; p: SeriesPoint } => x.p !== null);
  const hx = hover && hover.length ? hover.reduce((best, h0) => (Math.abs(h0.p.x - hoverX!) < Math.abs(best - hoverX!) ? h0.p.x : best), hover[0].p.x) : null;

  const onMove = (e: MouseEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const f = (e.clientX - box.left) / Math.max(1, box.width);
    setHoverX(geo.x0 + f * (geo.x1 - geo.x0));
  };
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    const stops = geo.stops;
    if (stops.length === 0) return;
    const i = hx === null ? -1 : stops.indexOf(hx);
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = stops[Math.min(stops.length - 1, i + 1)];
    else if (e.key === 'ArrowLeft') next = stops[Math.max(0, i < 0 ? stops.length - 1 : i - 1)];
    else if (e.key === 'Home') next = stops[0];
    else if (e.key === 'End') next = stops[stops.length - 1];
    else if (e.key === 'Escape') {
      setHoverX(null);
      return;
    } else return;
    e.preventDefault();
    setHoverX(next);
  };

  const tipLeft = hx === null ? 0 : Math.min(Math.max(sx(hx) + 10, MARGIN.left), Math.max(MARGIN.left, width - 200));
  return (
    <div ref={ref} className="live-chart" style={{ height }}>
      <svg
        width={width}
        height={height}
        role="img"
        aria-label={description}
        aria-describedby={descId}
        tabIndex={0}
        onKeyDown={onKey}
        onBlur={() => setHoverX(null)}
        data-export-root=""
        className="live-chart-svg"
      >
        <title>{description}</title>
        <desc id={descId}>Use the left and right arrow keys to read the values step by step.</desc>
        <defs>
          <clipPath id={clipId}>
            <rect x={MARGIN.left} y={MARGIN.top - 2} width={w} height={h + 4} />
          </clipPath>
        </defs>
        <g className="chart-grid-lines">
          {yAxis.ticks.map((t) => (
            <line key={t} x1={MARGIN.left} x2={MARGIN.left + w} y1={sy(t)} y2={sy(t)} className="chart-gridline" />
          ))}
        </g>
        <g className="chart-axis">
          <line x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={MARGIN.top + h} className="chart-axis-line" />
          <line x1={MARGIN.left} x2={MARGIN.left + w} y1={MARGIN.top + h} y2={MARGIN.top + h} className="chart-axis-line" />
          {yAxis.ticks.map((t) => (
            <text key={t} x={MARGIN.left - 6} y={sy(t)} dy={4} textAnchor="end" className="chart-tick" fontSize={11}>
              {yTickFormat(t)}
            </text>
          ))}
          {xAxis.ticks.map((t) => (
            <text key={t} x={sx(t)} y={MARGIN.top + h + 14} textAnchor="middle" className="chart-tick" fontSize={11}>
              {fmtNum(t)}
            </text>
          ))}
          <text x={MARGIN.left + w / 2} y={height - 4} textAnchor="middle" className="chart-axis-title" fontSize={12}>
            {xLabel}
          </text>
          {yLabel && (
            <text x={14} y={MARGIN.top + h / 2} transform={`rotate(-90 14 ${MARGIN.top + h / 2})`} textAnchor="middle" className="chart-axis-title" fontSize={12}>
              {yLabel}
            </text>
          )}
        </g>
        <g clipPath={`url(#${clipId})`}>
          {paths.map(({ l, band }) =>
            band ? <path key={`${l.key}-band`} d={band} fill={l.color} fillOpacity={0.15} stroke="none" className="live-band" /> : null,
          )}
          {paths.map(({ l, d }) => (
            <path
              key={l.key}
              d={d}
              fill="none"
              stroke={l.color}
              strokeWidth={l.dots ? 1 : 2}
              strokeOpacity={l.dots ? 0.3 : 1}
              strokeDasharray={l.dashed ? '6 3' : undefined}
              strokeLinejoin="round"
              className="live-curve"
              data-series={l.key}
            >
              <title>{l.name}</title>
            </path>
          ))}
          {lines.map((l) =>
            l.dots || l.series.points.length <= 2
              ? l.series.points.map((p) => <circle key={`${l.key}-${p.x}`} cx={sx(p.x)} cy={sy(p.y)} r={2.5} fill={l.color} className="live-dot" />)
              : null,
          )}
        </g>
        {guides.map((g) => (
          <g key={`guide-${g.y}-${g.label}`} className="chart-guide" data-testid="chart-guide" data-y={g.y}>
            {g.title && <title>{g.title}</title>}
            <line x1={MARGIN.left} x2={MARGIN.left + w} y1={sy(g.y)} y2={sy(g.y)} className="chart-guide-line" strokeDasharray="8 4" strokeWidth={1.5} />
            <text x={MARGIN.left + w - 4} y={sy(g.y) - 5} textAnchor="end" fontSize={11} className="chart-guide-label">
              {g.label}
            </text>
          </g>
        ))}
        {markers.map((m) => (
          <g key={`${m.x}-${m.label}`} className="chart-marker" data-marker={m.label}>
            {m.title && <title>{m.title}</title>}
            <line x1={sx(m.x)} x2={sx(m.x)} y1={MARGIN.top} y2={MARGIN.top + h} stroke={m.color ?? 'var(--muted)'} strokeDasharray="2 4" strokeWidth={m.color ? 1.5 : 1} />
            <text x={sx(m.x) + 3} y={MARGIN.top + 10} fontSize={11} className="chart-tick" fill={m.color}>
              {m.label}
            </text>
          </g>
        ))}
        {hx !== null && (
          <g data-export-ignore="" pointerEvents="none">
            <line x1={sx(hx)} x2={sx(hx)} y1={MARGIN.top} y2={MARGIN.top + h} className="chart-cursor" />
            {hover!.map(({ l, p }) => (
              <circle key={l.key} cx={sx(p.x)} cy={sy(p.y)} r={3.5} fill={l.color} stroke="var(--bg)" strokeWidth={1} />
            ))}
          </g>
        )}
        <rect
          x={MARGIN.left}
          y={MARGIN.top}
          width={w}
          height={h}
          fill="transparent"
          onMouseMove={onMove}
          onMouseLeave={() => setHoverX(null)}
          data-export-ignore=""
        />
      </svg>
      {hx !== null && hover && hover.length > 0 && (
        <div className="live-tooltip" role="status" style={{ left: tipLeft, top: MARGIN.top }} data-testid="live-tooltip">
          <div className="live-tooltip-title">
            {xLabel} {fmtNum(hx)}
          </div>
          {hover.map(({ l, p }) => (
            <div key={l.key}>
              <span className="swatch" style={{ background: l.color }} aria-hidden="true" /> {l.name}: {yTickFormat(p.y)}
              {p.n > 1 ? ` (mean of ${p.n}; ${yTickFormat(p.min)} – ${yTickFormat(p.max)})` : ''}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}, sameChartProps);
