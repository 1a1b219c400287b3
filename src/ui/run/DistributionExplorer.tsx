import { memo, useMemo, useState } from 'react';
import { Bar, BarChart, Cell, Tooltip, XAxis, YAxis } from 'recharts';
import { tick } from '../chart/axisParts';
import { useWidth } from '../chart/LiveLineChart';
import { ChartFrame } from '../chart/ChartFrame';
import { ROLE_COLOR } from '../chart/palette';
import { useStaggered } from '../chart/stagger';
import { SelectField } from '../controls';
import { fmt3, truncate } from '../format';
import type { RunViewState } from '../runState';
import { klDivergence, layerName, pairName } from './lead';

const explain = (
  <>
    For one training query and its candidate passages (the positive and hard negatives of its group), the bars show how each
    model spreads probability over the candidates at one layer pair. The teacher's bars are softmax(S_t / τ) of its layer
    score matrix, the student's softmax(S_s) of its own (the temperature divides the teacher only); the LEAD layer loss is
    the KL between exactly these two distributions, averaged over the batch and weighted by lambda_j (3.4). The relevant
    candidate is starred and its bars outlined: a good layer puts its tallest bar there. Step through the selected layer pairs to see
    which student layers already agree with their teacher layer, and compare with the final layers (the response KD, 3.2).
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
const fmtTenth = (v: number) => v.toFixed(1);

/**
 * The bars of one query at one layer pair: redrawn only when these change, in its turn
 * (chart/stagger.ts). Drawn lean, since they update while a LEAD phase runs: no grid, ticks
 * as plain text (chart/axisParts.tsx), the axis title in HTML, the relevant candidate marked by
 * its outline and star (no shaded area), and the tooltip mounted only while the pointer or
 * focus is on the chart: each part of a Recharts chart adds to every redraw and to its first
 * mount, which happens while the student trains.
 */
const DistributionBars = memo(function DistributionBars({ d, s, t }: { d: Distribution; s: number; t: number }) {
  const drawn = useStaggered(useMemo(() => ({ d, data: barData(d, s, t) }), [d, s, t]));
  const [inspecting, setInspecting] = useState(false);
  // The width is measured here once and followed with a ResizeObserver; Recharts' own
  // responsive sizing measures the box again on every mount and update.
  const { ref, width } = useWidth(560);
  return (
    <div ref={ref} onMouseEnter={() => setInspecting(true)} onMouseLeave={() => setInspecting(false)} onFocus={() => setInspecting(true)} onBlur={() => setInspecting(false)}>
      <div className="chart-axis-caption" aria-hidden="true">
        probability
      </div>
      {drawn ? <Bars data={drawn.data} qid={drawn.d.qid} width={width} inspecting={inspecting} /> : <div className="chart-pending" style={{ width: '100%', height: 240 }} aria-busy="true" />}
    </div>
  );
});

function Bars({ data, qid, width, inspecting }: { data: ReturnType<typeof barData>; qid: string; width: number; inspecting: boolean }) {
  return (
    <BarChart width={width} height={240} data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }} title="Teacher and student candidate distributions" desc={`Softmax over the candidates of query ${qid}`}>
      <XAxis dataKey="name" interval={0} tick={tick(String, 'x')} />
      <YAxis domain={[0, 1]} ticks={PROBABILITY_TICKS} interval={0} tick={tick(fmtTenth, 'y')} width={40} />
      {inspecting && <Tooltip formatter={(v) => fmt3(Number(v))} />}
        <Bar dataKey="teacher" name="teacher" fill={ROLE_COLOR.teacher} isAnimationActive={false}>
        {data.map((x) => (
          <Cell key={x.name} stroke={x.relevant ? 'var(--fg)' : 'none'} strokeWidth={x.relevant ? 1.5 : 0} />
        ))}
      </Bar>
      <Bar dataKey="student" name="student" fill={ROLE_COLOR.student} isAnimationActive={false}>
        {data.map((x) => (
          <Cell key={x.name} stroke={x.relevant ? 'var(--fg)' : 'none'} strokeWidth={x.relevant ? 1.5 : 0} />
        ))}
      </Bar>
    </BarChart>
  );
}

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
            KL(teacher ‖ student) for this query: <strong data-testid="dist-kl">{fmt3(kl)}</strong>.
          </p>
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

