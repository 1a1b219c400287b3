import { memo, useMemo, useState } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import type { RankScatterEvent } from '../../core/train/events';
import { ChartFrame } from '../chart/ChartFrame';
import { useStaggered } from '../chart/stagger';
import { seriesColor } from '../chart/palette';
import { LiveLineChart } from '../chart/LiveLineChart';
import type { ChartLine } from '../chart/SeriesChart';
import { SelectField } from '../controls';
import { fmt3, fmtDiff, fmtInt } from '../format';
import { METRIC_KEYS, type MetricKey, type RunViewState } from '../runState';
import type { Series } from '../series';
import { metricLabel } from './TrainingCurves';

const isProdPhase = (id: string) => id.startsWith('prod');

/** PROD's stages in order: what each distilled, how the student scored after it, and progress. */
export function StageTimeline({ state }: { state: RunViewState }) {
  const [metric, setMetric] = useState<MetricKey>('mrr@10');
  const prodPhases = state.phaseOrder.filter(isProdPhase).map((id) => state.phases[id]);
  const stages = state.stages;
  const explain = (
    <>
      PROD distils a chain of ever stronger teachers into one student, one stage each (section 5): typically a big dual encoder,
      then cross-encoders. Each stage starts from the student the previous stage produced; later stages add LwF, a KD term
      against the student as it entered the stage, so a stronger teacher does not erase what an earlier one taught (3.6). Hard
      negatives are re-mined from the newest student between stages, and the last, data-progressive stage trains only on
      queries the teacher gets right and the student gets wrong. Each card shows the student's held-out metrics after the
      stage and the change from the stage before.
    </>
  );
  const count = Math.max(stages.length, prodPhases.length);
  if (count === 0) {
    return <ChartFrame id="prod-stages" title="PROD stage timeline" formulas={['3.6', '5']} explain={explain} empty="Appears when a PROD run starts its first stage." />;
  }
  return (
    <ChartFrame
      id="prod-stages"
      title="PROD stage timeline"
      formulas={['3.6', '5']}
      explain={explain}
      legend={stages.length ? [{ name: `student ${metricLabel(metric)} after each stage`, color: seriesColor(2) }] : []}
      controls={<SelectField label="Metric" value={metric} onChange={setMetric} options={METRIC_KEYS.map((m) => ({ value: m, label: metricLabel(m) }))} />}
      caption={
        <ol className="timeline" data-testid="stage-timeline">
          {Array.from({ length: count }, (_, i) => {
            const s = stages[i];
            const p = prodPhases[i];
            const prev = i > 0 ? stages[i - 1] : undefined;
            const done = Boolean(s);
            return (
              <li key={i} className={`stage-card ${done ? 'done' : 'running'}`}>
                <div className="stage-num" aria-hidden="true">
                  {i + 1}
                </div>
                <div>
                  <strong>{s?.title ?? p?.title}</strong>
                  {s && <div className="fine">teacher: {s.teacher}; {fmtInt(s.examples)} training examples</div>}
                  {p && (
                    <div className="progress-line">
                      <progress max={p.totalSteps} value={p.lastStep} aria-label={`${p.title} progress`} /> step {p.lastStep} of {p.totalSteps}
                    </div>
                  )}
                  {s && (
                    <dl className="metric-pairs">
                      {(['mrr@10', 'ndcg@10', 'recall@100'] as const).map((m) => (
                        <div key={m}>
                          <dt>{metricLabel(m)}</dt>
                          <dd>
                            {fmt3(s.metrics[m])}
                            {prev && <span className={s.metrics[m] >= prev.metrics[m] ? 'up' : 'down'}> ({fmtDiff(s.metrics[m] - prev.metrics[m])})</span>}
                          </dd>
                        </div>
                      ))}
                    </dl>
                  )}
                  {!s && <div className="fine">running: metrics arrive when the stage ends</div>}
                </div>
              </li>
            );
          })}
        </ol>
      }
    >
      {stages.length > 0 ? (
        <StageChart stages={stages} metric={metric} />
      ) : (
        <p className="fine">The chart of metrics per stage fills in as stages finish.</p>
      )}
    </ChartFrame>
  );
}

/**
 * The student's metric after each stage: redrawn only when a stage ends or the metric changes
 * (not with every step of the run), in its own turn (chart/stagger.ts).
 */
const StageChart = memo(function StageChart({ stages, metric }: { stages: RunViewState['stages']; metric: MetricKey }) {
  const drawn = useStaggered(useMemo(() => ({ metric, data: stages.map((s) => ({ name: `${s.stage}`, title: s.title, ...Object.fromEntries(METRIC_KEYS.map((m) => [m, s.metrics[m]])) })) }), [stages, metric]));
  if (!drawn) return <div className="chart-pending" style={{ width: '100%', height: 200 }} aria-busy="true" />;
  return (
    <LineChart responsive style={{ width: '100%', height: 200 }} data={drawn.data} margin={{ top: 8, right: 16, bottom: 18, left: 8 }} title="Student metric after each PROD stage" desc={`${metricLabel(drawn.metric)} after each stage`}>
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis dataKey="name" label={{ value: 'stage', position: 'insideBottom', offset: -10 }} />
      <YAxis domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(2)} width={48} />
      <Tooltip formatter={(v) => fmt3(Number(v))} labelFormatter={(_, p) => String(p?.[0]?.payload?.title ?? '')} />
      <Line dataKey={drawn.metric} name={metricLabel(drawn.metric)} stroke={seriesColor(2)} strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false} />
    </LineChart>
  );
});

function shifted(s: Series, offset: number): Series {
  return { ...s, points: s.points.map((p) => ({ ...p, x: p.x + offset })) };
}

/** How far the student moves from its stage-start copy (the quantity LwF penalises). */
export function LwfDriftChart({ state }: { state: RunViewState }) {
  const phases = state.phaseOrder.map((id) => state.phases[id]).filter((p) => p.lwfDrift.count > 0);
  const lines: ChartLine[] = phases.map((p, i) => ({ key: p.id, name: p.title, series: shifted(p.lwfDrift, p.offset), color: seriesColor(i + 3) }));
  return (
    <ChartFrame
      id="lwf-drift"
      title="LwF drift"
      formulas={['3.3', '3.6']}
      legend={lines.map((l) => ({ name: l.name, color: l.color }))}
      empty={lines.length === 0 ? 'Appears in PROD stages with LwF (after the first stage): the KL between the student and its stage-start copy.' : undefined}
      explain={
        <>
          In PROD stages after the first, a frozen copy of the student is taken as the stage begins and the loss adds w_lwf ·
          T² · KL( softmax(S_prev / T) ‖ softmax(S_s / T) ) (3.6, with the KD form 3.3). The curve is that KL without the T²
          factor: how far the student's score distributions have drifted from where the stage started. LwF keeps it small, so
          a new teacher refines rather than overwrites; a curve that keeps climbing means the new teacher disagrees strongly
          with what the student learned.
        </>
      }
    >
      <LiveLineChart lines={lines} xLabel="run step" yLabel="KL to stage start" yDomain={[0, 'auto']} description="LwF drift by run step" />
    </ChartFrame>
  );
}

/** One dot per (student rank, teacher rank, selected) cell: its size counts the queries there. */
export interface RankCell {
  x: number;
  y: number;
  n: number;
  selected: boolean;
}

/**
 * The scatter's points grouped by cell. Ranks are whole numbers up to the re-ranking depth, so
 * a thousand queries fall on a few dozen cells: drawing one dot per cell (sized by its count)
 * shows where the queries are, which a thousand overlapping dots hide, and costs a few dozen
 * SVG elements instead of a thousand (a redraw of those took 150-490 ms on the main thread).
 */
export function rankCells(ev: RankScatterEvent): RankCell[] {
  const cap = (r: number) => (Number.isFinite(r) && r >= 1 ? r : NaN);
  const cells = new Map<string, RankCell>();
  for (const p of ev.points) {
    const x = cap(p.studentRank);
    const y = cap(p.teacherRank);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const key = `${x}:${y}:${p.selected}`;
    const c = cells.get(key);
    if (c) c.n++;
    else cells.set(key, { x, y, n: 1, selected: p.selected });
  }
  return [...cells.values()];
}

/** Teacher rank vs student rank of every training query, boxing PROD's data-progressive window. */
export function RankScatter({ state }: { state: RunViewState }) {
  return <RankScatterChart ev={state.rankScatter} />;
}

/** Redrawn only when the selection changes (not on every step of the run). */
const RankScatterChart = memo(function RankScatterChart({ ev: latest }: { ev: RunViewState['rankScatter'] }) {
  // The scatter adopts a new selection in its own turn (chart/stagger.ts), not in the redraw
  // that brought it.
  const staggered = useStaggered(latest);
  const ev = latest ? staggered : latest;
  const explain = (
    <>
      Before the last PROD stage, every training query is ranked by the student (full retrieval) and by the teacher
      (re-ranking the student's top candidates). Each dot is one query: x is the rank the student gives its first relevant
      passage, y the teacher's (both on log scales, 1 is best). The shaded box is the data-progressive window (section 5):
      queries the student places at rank {ev ? `${ev.window.rankLow}..${ev.window.rankHigh}` : '2..15'} and the teacher at rank{' '}
      {ev ? `≤ ${ev.window.teacherRank}` : '1'}, the ones the teacher gets right and the student almost does. Only they (highlighted)
      train the last stage, with negatives in the teacher's order.
    </>
  );
  if (!ev || ev.points.length === 0) {
    return <ChartFrame id="rank-scatter" title="Data-progressive selection" formulas={['5']} explain={explain} empty="Appears when PROD's data-progressive stage ranks the training queries." />;
  }
  const cells = rankCells(ev);
  const maxRank = Math.max(ev.window.rankHigh * 2, ...cells.map((p) => Math.max(p.x, p.y)));
  const most = Math.max(1, ...cells.map((c) => c.n));
  const { rankLow, rankHigh, teacherRank } = ev.window;
  return (
    <ChartFrame
      id="rank-scatter"
      title="Data-progressive selection"
      formulas={['5']}
      explain={explain}
      legend={[
        { name: 'selected for the last stage', color: 'var(--accent)' },
        { name: 'other training queries', color: 'var(--muted)' },
        { name: 'selection window', color: 'var(--relevant)' },
      ]}
      caption={
        <p data-testid="rank-scatter-caption">
          {fmtInt(ev.points.filter((p) => p.selected).length)} of {fmtInt(ev.points.length)} training queries selected (student rank {rankLow}..{rankHigh}, teacher rank ≤ {teacherRank}).
          {' '}Each dot is a pair of ranks; its area grows with the number of queries there (the largest holds {fmtInt(most)}).
        </p>
      }
    >
      <ScatterChart responsive style={{ width: '100%', height: 320 }} margin={{ top: 8, right: 16, bottom: 22, left: 8 }} title="Teacher rank against student rank per training query" desc="Data-progressive selection window">
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name="student rank" scale="log" domain={[0.8, maxRank * 1.2]} allowDataOverflow ticks={logTicks(maxRank)} label={{ value: 'student rank of first relevant passage', position: 'insideBottom', offset: -12 }} />
        <YAxis type="number" dataKey="y" name="teacher rank" scale="log" domain={[0.8, maxRank * 1.2]} allowDataOverflow ticks={logTicks(maxRank)} width={52} label={{ value: 'teacher rank', angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
        <ZAxis type="number" dataKey="n" name="queries" domain={[1, most]} range={[18, 260]} />
        <ReferenceArea x1={rankLow - 0.4} x2={rankHigh + 0.4} y1={0.85} y2={teacherRank + 0.4} fill="var(--relevant)" fillOpacity={0.22} stroke="var(--relevant)" strokeDasharray="4 2" ifOverflow="extendDomain" />
        <Tooltip cursor={{ strokeDasharray: '3 3' }} formatter={(v) => String(v)} />
        <Scatter name="other queries" data={cells.filter((c) => !c.selected)} fill="var(--muted)" fillOpacity={0.45} isAnimationActive={false} />
        <Scatter name="selected" data={cells.filter((c) => c.selected)} fill="var(--accent)" isAnimationActive={false} />
      </ScatterChart>
    </ChartFrame>
  );
});

function logTicks(max: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= max * 1.2; d *= 10) for (const m of [1, 2, 5]) if (m * d <= max * 1.2) out.push(m * d);
  return out;
}
