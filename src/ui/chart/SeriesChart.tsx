import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Series } from '../series';
import { fmtNum } from '../format';

export interface ChartLine {
  key: string;
  name: string;
  series: Series;
  color: string;
  dashed?: boolean;
  /** Mark every point (sparse series, e.g. a layer weight seen only when its layer is picked). */
  dots?: boolean;
}

export interface SeriesChartProps {
  lines: ChartLine[];
  xLabel: string;
  yLabel?: string;
  height?: number;
  /** Vertical markers (phase boundaries). */
  markers?: { x: number; label: string }[];
  /** Draw each series' min..max envelope once it is downsampled (buckets of > 1 sample). */
  envelope?: boolean;
  yDomain?: [number | 'auto', number | 'auto'];
  yTickFormat?: (v: number) => string;
  /** Accessible summary of the chart. */
  description: string;
}

/**
 * Line chart of append-only series (x: step). Each line keeps its own data, so series sampled
 * at different steps share one numeric x axis. No animation: the chart redraws on every event.
 */
export function SeriesChart({ lines, xLabel, yLabel, height = 240, markers = [], envelope = true, yDomain, yTickFormat = fmtNum, description }: SeriesChartProps) {
  return (
    <ComposedChart responsive style={{ width: '100%', height }} margin={{ top: 8, right: 16, bottom: 18, left: 8 }} title={description} desc={description}>
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis
        type="number"
        dataKey="x"
        domain={['dataMin', 'dataMax']}
        allowDuplicatedCategory={false}
        tickFormatter={fmtNum}
        label={{ value: xLabel, position: 'insideBottom', offset: -10 }}
      />
      <YAxis
        domain={yDomain ?? ['auto', 'auto']}
        tickFormatter={yTickFormat}
        width={64}
        label={yLabel ? { value: yLabel, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } } : undefined}
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
        <Line
          key={l.key}
          data={l.series.points as never[]}
          dataKey="y"
          name={l.name}
          stroke={l.color}
          strokeWidth={l.dots ? 1 : 2}
          strokeDasharray={l.dashed ? '6 3' : undefined}
          dot={l.dots || l.series.points.length <= 2 ? { r: 2.5, fill: l.color } : false}
          strokeOpacity={l.dots ? 0.3 : 1}
          isAnimationActive={false}
        />
      ))}
      {markers.map((m) => (
        <ReferenceLine key={`${m.x}-${m.label}`} x={m.x} stroke="var(--muted)" strokeDasharray="2 4" label={{ value: m.label, position: 'insideTopLeft', fontSize: 11 }} />
      ))}
    </ComposedChart>
  );
}
