import { memo } from 'react';
import { Area, ComposedChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Series } from '../series';
import { fmtNum } from '../format';
import { useStaggered } from './stagger';
import { axisTitle, tick } from './axisParts';
import { dataRanges, stepAxis, valueAxis } from './ticks';

export interface ChartLine {
  key: string;
  name: string;
  series: Series;
  color: string;
  dashed?: boolean;
  /** Mark every point (sparse series, e.g. a layer weight seen only when its layer is picked). */
  dots?: boolean;
}

export interface ChartMarker {
  x: number;
  label: string;
  /** Line and label colour (default: muted). */
  color?: string;
  /** Longer text shown on hover. */
  title?: string;
}

export interface SeriesChartProps {
  lines: ChartLine[];
  xLabel: string;
  yLabel?: string;
  height?: number;
  /** Vertical markers (phase boundaries; training-health events, drawn in `color` with a `title` to hover). */
  markers?: ChartMarker[];
  /** Draw each series' min..max envelope once it is downsampled (buckets of > 1 sample). */
  envelope?: boolean;
  yDomain?: [number | 'auto', number | 'auto'];
  yTickFormat?: (v: number) => string;
  /** Accessible summary of the chart. */
  description: string;
  /** Horizontal reference lines with a label (the loss at chance); the y axis is widened to show them. */
  guides?: ChartGuide[];
}

export interface ChartGuide {
  y: number;
  label: string;
  /** Longer text shown on hover. */
  title?: string;
}

const sameLine = (a: ChartLine, b: ChartLine) =>
  a.key === b.key && a.name === b.name && a.series === b.series && a.color === b.color && a.dashed === b.dashed && a.dots === b.dots;

/** Same drawing: lines by series identity (series are immutable), the rest by value. */
export function sameChartProps(a: SeriesChartProps, b: SeriesChartProps): boolean {
  const ma = a.markers ?? [];
  const mb = b.markers ?? [];
  return (
    a.lines.length === b.lines.length &&
    a.lines.every((l, i) => sameLine(l, b.lines[i])) &&
    a.xLabel === b.xLabel &&
    a.yLabel === b.yLabel &&
    a.height === b.height &&
    a.envelope === b.envelope &&
    a.yTickFormat === b.yTickFormat &&
    a.description === b.description &&
    (a.yDomain === b.yDomain || (!!a.yDomain && !!b.yDomain && a.yDomain[0] === b.yDomain[0] && a.yDomain[1] === b.yDomain[1])) &&
    ma.length === mb.length &&
    ma.every((m, i) => m.x === mb[i].x && m.label === mb[i].label && m.color === mb[i].color && m.title === mb[i].title) &&
    (a.guides ?? []).length === (b.guides ?? []).length &&
    (a.guides ?? []).every((g, i) => g.y === b.guides![i].y && g.label === b.guides![i].label && g.title === b.guides![i].title)
  );
}

/**
 * Line chart of append-only series (x: step). Each line keeps its own data, so series sampled
 * at different steps share one numeric x axis. No animation. Redrawn only when a series or
 * option changed, and then in its turn (./stagger.ts): one chart per task while a run streams.
 */
export const SeriesChart = memo(function SeriesChart(props: SeriesChartProps) {
  const shown = useStaggered(props);
  if (!shown) return <div className="chart-pending" style={{ width: '100%', height: props.height ?? 240 }} aria-busy="true" />;
  return <SeriesChartNow {...shown} />;
}, sameChartProps);

function SeriesChartNow({ lines, xLabel, yLabel, height = 240, markers = [], envelope = true, yDomain, yTickFormat = fmtNum, description }: SeriesChartProps) {
  // Domains and ticks computed here (./ticks.ts), tick labels as plain text, no grid: the
  // parts of a Recharts redraw that cost most while a run streams (measured in
  // test/browser/live.test.mjs with LIVE_PROFILE=1).
  const r = dataRanges(lines, envelope);
  const xAxis = stepAxis(r.x0, r.x1);
  const yAxis = valueAxis(r.y0, r.y1, yDomain);
  return (
    <ComposedChart responsive style={{ width: '100%', height }} margin={{ top: 8, right: 16, bottom: 18, left: 8 }} title={description} desc={description}>
      <XAxis
        type="number"
        dataKey="x"
        domain={xAxis.domain}
        ticks={xAxis.ticks}
        interval={0}
        allowDataOverflow
        allowDuplicatedCategory={false}
        tick={tick(fmtNum, 'x')}
        label={axisTitle(xLabel, 'x')}
      />
      <YAxis
        domain={yAxis.domain}
        ticks={yAxis.ticks}
        interval={0}
        allowDataOverflow
        tick={tick(yTickFormat, 'y')}
        width={64}
        label={yLabel ? axisTitle(yLabel, 'y') : undefined}
      />
      <Tooltip
        formatter={(v) => (Array.isArray(v) ? v.map((x) => fmtNum(Number(x))).join(' – ') : fmtNum(Number(v)))}
        labelFormatter={(x) => `${xLabel} ${fmtNum(Number(x))}`}
      />
      {envelope &&
        lines
          .filter((l) => l.series.stride > 1)
          .map((l) => (
            <Area
              key={`${l.key}-env`}
              data={l.series.points as never[]}
              dataKey={(p: { min: number; max: number }) => [p.min, p.max]}
              name={`${l.name} (min–max)`}
              stroke="none"
              fill={l.color}
              fillOpacity={0.15}
              isAnimationActive={false}
              legendType="none"
              tooltipType="none"
              activeDot={false}
            />
          ))}
      {lines.map((l) => (
        // A line drawn as an unfilled Area: Recharts' Line measures its path
        // (getTotalLength, a forced layout) on every redraw, for an animation that is off.
        <Area
          key={l.key}
          type="linear"
          data={l.series.points as never[]}
          dataKey="y"
          name={l.name}
          stroke={l.color}
          fill="none"
          strokeWidth={l.dots ? 1 : 2}
          strokeDasharray={l.dashed ? '6 3' : undefined}
          dot={l.dots || l.series.points.length <= 2 ? { r: 2.5, fill: l.color } : false}
          strokeOpacity={l.dots ? 0.3 : 1}
          isAnimationActive={false}
        />
      ))}
      {markers.map((m) => (
        <ReferenceLine key={`${m.x}-${m.label}`} x={m.x} stroke={m.color ?? 'var(--muted)'} strokeDasharray="2 4" label={{ value: m.label, position: 'insideTopLeft', fontSize: 11 }} />
      ))}
    </ComposedChart>
  );
}
