import { memo, useMemo, useState } from 'react';
import { useWidth } from '../chart/useWidth';
import { ChartFrame } from '../chart/ChartFrame';
import { ROLE_COLOR } from '../chart/palette';
import { useStaggered } from '../chart/stagger';
import { SelectField } from '../controls';
import { fmt3, fmtNum, truncate } from '../format';
import type { RunViewState } from '../runState';
import { isUniform, layersAtChance } from './chance';
import { klDivergence, layerName, pairName } from './lead';

const explain = (
  <>
    For one training query and its candidate passages (the positive and hard negatives of its group), the bars show how each
    model spreads probability over the candidates at one layer pair. The teacher's bars are softmax(S_t / τ) of its layer
    score matrix, the student's softmax(S_s) of its own (the temperature divides the teacher only); the LEAD layer loss is
    the KL between exactly these two distributions, averaged over the batch and weighted by lambda_j (3.4). The relevant
    candidate is starred and its bars outlined: a good layer puts its tallest bar there. Step through the selected layer pairs to see
    which student layers already agree with their teacher layer, and compare with the final layers (the response KD, 3.2).
    A layer whose bars are all the same height (1/N each) gives every candidate the same score: it is at chance and ranks
    nothing, as a collapsed encoder does; a note under the chart names such layers.
  </>
);

type Distribution = RunViewState['distributions'][string];

function barData(d: Distribution, s: number, t: number) {
  return d.candidates.map((c, i) => ({
    name: `#${i + 1}${c.relevant ? ' ★' : ''}`,
    teacher: d.teacher[t]?.[i] ?? 0,
    student: d.student[s]?.[i] ?? 0,
    relevant: c.relevant,
  }));
}

/** The bars of one query at one layer pair: redrawn only when these change, in its turn (chart/stagger.ts). */
const PROBABILITY_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const BAR_MARGIN = { top: 8, right: 12, bottom: 24, left: 44 };

/**
 * The bars of one query at one layer pair, as plain SVG: they update while a LEAD phase trains,
 * and a Recharts bar chart's first mount and updates took 60-100 ms of main-thread time each with
 * the training sharing the CPU, against the page's 100 ms budget (see chart/LiveLineChart.tsx).
 * Redrawn only when these change, in its turn (chart/stagger.ts). Hover or focus a candidate to
 * read both probabilities.
 */
const DistributionBars = memo(function DistributionBars({ d, s, t }: { d: Distribution; s: number; t: number }) {
  const drawn = useStaggered(useMemo(() => ({ d, data: barData(d, s, t) }), [d, s, t]));
  const { ref, width } = useWidth(560);
  const [hover, setHover] = useState<number | null>(null);
  const height = 240;
  if (!drawn) {
    return (
      <div ref={ref}>
        <div className="chart-pending" style={{ width: '100%', height }} aria-busy="true" />
      </div>
    );
  }
  const { data } = drawn;
  const w = Math.max(10, width - BAR_MARGIN.left - BAR_MARGIN.right);
  const h = height - BAR_MARGIN.top - BAR_MARGIN.bottom;
  const band = w / Math.max(1, data.length);
  const bar = Math.max(1, Math.min(40, band * 0.4));
  const y = (p: number) => BAR_MARGIN.top + h - Math.max(0, Math.min(1, p)) * h;
  const shown = hover !== null ? data[hover] : null;
  return (
    <div ref={ref} className="live-chart" style={{ height }}>
      <svg width={width} height={height} role="group" aria-label={`Softmax over the candidates of query ${drawn.d.qid}: teacher and student`} data-export-root="" className="live-chart-svg">
        <title>Teacher and student candidate distributions</title>
        <text x={12} y={BAR_MARGIN.top + h / 2} transform={`rotate(-90 12 ${BAR_MARGIN.top + h / 2})`} textAnchor="middle" fontSize={12} className="chart-axis-title">
          probability
        </text>
        {PROBABILITY_TICKS.map((v) => (
          <g key={v}>
            <line x1={BAR_MARGIN.left} x2={BAR_MARGIN.left + w} y1={y(v)} y2={y(v)} className="chart-gridline" />
            <text x={BAR_MARGIN.left - 6} y={y(v)} dy={4} textAnchor="end" fontSize={11} className="chart-tick">
              {v.toFixed(1)}
            </text>
          </g>
        ))}
        <line x1={BAR_MARGIN.left} x2={BAR_MARGIN.left + w} y1={y(0)} y2={y(0)} className="chart-axis-line" />
        {data.map((x, i) => {
          const cx = BAR_MARGIN.left + band * i + band / 2;
          const outline = x.relevant ? { stroke: 'var(--fg)', strokeWidth: 1.5 } : {};
          return (
            <g
              key={x.name}
              tabIndex={0}
              role="img"
              aria-label={`${x.name}: teacher ${fmt3(x.teacher)}, student ${fmt3(x.student)}`}
              onMouseEnter={() => setHover(i)}
              onMouseLeave={() => setHover(null)}
              onFocus={() => setHover(i)}
              onBlur={() => setHover(null)}
            >
              <rect x={BAR_MARGIN.left + band * i} y={BAR_MARGIN.top} width={band} height={h} fill="transparent" />
              <rect className="dist-bar" data-role="teacher" x={cx - bar - 1} y={y(x.teacher)} width={bar} height={y(0) - y(x.teacher)} fill={ROLE_COLOR.teacher} {...outline} />
              <rect className="dist-bar" data-role="student" x={cx + 1} y={y(x.student)} width={bar} height={y(0) - y(x.student)} fill={ROLE_COLOR.student} {...outline} />
              <text x={cx} y={height - 8} textAnchor="middle" fontSize={11} className="chart-tick">
                {x.name}
              </text>
            </g>
          );
        })}
      </svg>
      {shown && (
        <div className="live-tooltip" role="status" style={{ left: Math.min(BAR_MARGIN.left + band * (hover! + 1), Math.max(BAR_MARGIN.left, width - 200)), top: BAR_MARGIN.top }}>
          <div className="live-tooltip-title">
            candidate {shown.name}
            {shown.relevant ? ' (relevant)' : ''}
          </div>
          <div>teacher: {fmt3(shown.teacher)}</div>
          <div>student: {fmt3(shown.student)}</div>
        </div>
      )}
    </div>
  );
});

export function DistributionExplorer({ state }: { state: RunViewState }) {
  const order = state.distributionOrder;
  const [qid, setQid] = useState<string | null>(null);
  const active = qid && state.distributions[qid] ? qid : order[order.length - 1];
  const d = active ? state.distributions[active] : undefined;
  const Lt = d?.teacher.length ?? 0;
  const Ls = d?.student.length ?? 0;
  const selected: [number, number][] = (d && state.phases[d.phase]?.latestPairs) || state.layerKL?.selected || [];
  const pairs: [number, number][] = d
    ? [...selected.filter(([s, t]) => s < Ls && t < Lt), ...(selected.some(([s, t]) => s === Ls - 1 && t === Lt - 1) ? [] : [[Ls - 1, Lt - 1] as [number, number]])]
    : [];
  const [pick, setPick] = useState<[number, number] | null>(null);
  const [s, t] = pick && pick[0] < Ls && pick[1] < Lt ? pick : (pairs[0] ?? [0, 0]);

  if (!d) {
    return (
      <ChartFrame
        id="distributions"
        title="Layer distribution explorer"
        formulas={['3.2', '3.4']}
        explain={explain}
        empty="During a LEAD phase the trainer samples a few queries and reports their candidates' distributions at every layer; pick one here to look inside both models."
      />
    );
  }

  const data = barData(d, s, t);
  const kl = klDivergence(d.teacher[t] ?? [], d.student[s] ?? []);
  const N = d.candidates.length;
  const studentFlat = layersAtChance([d.student]);
  const teacherFlat = layersAtChance([d.teacher]);
  const shownFlat = [isUniform(d.teacher[t]) ? `teacher layer ${layerName(t)}` : '', isUniform(d.student[s]) ? `student layer ${layerName(s)}` : ''].filter(Boolean);
  const layerList = (ls: number[], of: number) => (ls.length === of ? `all ${of}` : ls.map(layerName).join(', '));
  const isSelected = selected.some(([a, b]) => a === s && b === t);
  const pairIndex = pairs.findIndex(([a, b]) => a === s && b === t);
  const step = (dir: number) => {
    const next = pairs[(pairIndex + dir + pairs.length) % pairs.length];
    if (next) setPick(next);
  };
  const layerOptions = (n: number) => Array.from({ length: n }, (_, i) => ({ value: String(i), label: `layer ${layerName(i)}` }));

  return (
    <ChartFrame
      id="distributions"
      title="Layer distribution explorer"
      formulas={['3.2', '3.4']}
      explain={explain}
      legend={[
        { name: `teacher layer ${layerName(t)}: softmax(S_t / τ)`, color: ROLE_COLOR.teacher },
        { name: `student layer ${layerName(s)}: softmax(S_s)`, color: ROLE_COLOR.student },
      ]}
      controls={
        <>
          <SelectField
            label="Query"
            value={active}
            onChange={(v) => setQid(v)}
            options={order.map((q) => ({ value: q, label: `${q}: ${truncate(state.distributions[q].query, 48)}` }))}
            testId="dist-query"
          />
          <SelectField label="Student layer" value={String(s)} onChange={(v) => setPick([Number(v), t])} options={layerOptions(Ls)} testId="dist-student-layer" />
          <SelectField label="Teacher layer" value={String(t)} onChange={(v) => setPick([s, Number(v)])} options={layerOptions(Lt)} testId="dist-teacher-layer" />
          <div className="field">
            <span className="field-label" id="pair-step-label">
              Layer pairs
            </span>
            <div role="group" aria-labelledby="pair-step-label" className="button-row">
              <button type="button" className="small" onClick={() => step(-1)} disabled={pairs.length < 2} aria-label="Previous layer pair">
                ◀
              </button>
              <button type="button" className="small" onClick={() => step(1)} disabled={pairs.length < 2} aria-label="Next layer pair">
                ▶
              </button>
            </div>
          </div>
        </>
      }
      caption={
        <>
          <p>
            <strong>{d.query}</strong> (query {d.qid}, step {d.step} of {d.phase}). Showing {pairName([s, t])}
            {isSelected ? ', a pair LEAD selected at the latest step' : s === Ls - 1 && t === Lt - 1 ? ', the final layers' : ''}. τ = {d.tau}.
            KL(teacher ‖ student) for this query: <strong data-testid="dist-kl">{kl > 0 && kl < 0.001 ? fmtNum(kl) : fmt3(kl)}</strong>.
          </p>
          {(studentFlat.length > 0 || teacherFlat.length > 0) && (
            <p className="chance-note" role="note" data-testid="dist-at-chance">
              <strong>At chance:</strong> {shownFlat.length > 0 ? `the ${shownFlat.join(' and the ')} shown ${shownFlat.length === 1 ? 'gives' : 'give'}` : 'some layers give'}{' '}
              every one of the {N} candidates the same score, so the softmax is uniform (1/{N} = {fmt3(1 / N)} each) and ranks nothing:
              what a collapsed encoder does.
              {studentFlat.length > 0 ? ` Student layers at chance here: ${layerList(studentFlat, Ls)}.` : ''}
              {teacherFlat.length > 0 ? ` Teacher layers at chance here: ${layerList(teacherFlat, Lt)}.` : ''}
            </p>
          )}
          <table className="data-table compact">
            <caption>Candidates of this query</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">passage</th>
                <th scope="col">relevant</th>
                <th scope="col">teacher p</th>
                <th scope="col">student p</th>
              </tr>
            </thead>
            <tbody>
              {d.candidates.map((c, i) => (
                <tr key={c.docId} className={c.relevant ? 'relevant-row' : undefined}>
                  <td>{i + 1}</td>
                  <td title={c.docId}>{truncate(c.title, 60)}</td>
                  <td>{c.relevant ? '★ yes' : ''}</td>
                  <td>{fmt3(data[i].teacher)}</td>
                  <td>{fmt3(data[i].student)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      }
    >
      <DistributionBars d={d} s={s} t={t} />
    </ChartFrame>
  );
}

