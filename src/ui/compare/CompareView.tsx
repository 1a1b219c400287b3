import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '../chart/ChartFrame';
import { seriesColor } from '../chart/palette';
import { SeriesChart, type ChartLine } from '../chart/SeriesChart';
import { SelectField } from '../controls';
import { Explain } from '../Explain';
import { fmt3, fmtDiff, fmtP, truncate } from '../format';
import { METRIC_KEYS, type MetricKey } from '../runState';
import { metricLabel } from '../run/TrainingCurves';
import { healthNote, uniqueRuns, type CompareRun } from './compareRun';
import { metricWithRerank } from './rerank';
import { meanSpread, pairedComparison, PERMUTATION_ITERATIONS, verdict } from './stats';

export interface CompareViewProps {
  runs: CompareRun[];
}

/** Runs side by side: metrics (mean ± spread over seeds), overlaid curves, a paired test. */
export function CompareView({ runs: given }: CompareViewProps) {
  // A run and seed listed twice (a metrics file imported again) counts once.
  const runs = useMemo(() => uniqueRuns(given), [given]);
  if (runs.length === 0) {
    return (
      <section className="panel" aria-labelledby="compare-title" data-testid="compare-view">
        <h2 id="compare-title">Compare</h2>
        <div className="empty-state" data-testid="compare-empty">
          <p>
            <strong>No finished runs yet.</strong> Each run that finishes (or a metrics file imported in the Export tab) appears here: a
            table of its test metrics, averaged with spread over seeds when a group has several; its curves overlaid on the others’;
            and, for any two runs, the queries one wins and the other loses, with a paired significance test that says whether the
            difference is more than chance.
          </p>
          <p>Try the Recipe tab’s ablation group: the student alone, response KD and LEAD, over three seeds.</p>
        </div>
      </section>
    );
  }
  return (
    <div className="compare-view" data-testid="compare-view">
      <MetricsTable runs={runs} />
      <OverlaidCurves runs={runs} />
      <PairedTest runs={runs} />
    </div>
  );
}

function HealthCell({ runs }: { runs: readonly CompareRun[] }) {
  const n = healthNote(runs);
  return (
    <td className={`health-cell${n.bad ? ' bad' : ''}`} title={n.detail} data-testid="compare-health">
      {n.text}
    </td>
  );
}

function MetricsTable({ runs }: { runs: CompareRun[] }) {
  const groups = useMemo(() => {
    const m = new Map<string, CompareRun[]>();
    for (const r of runs) m.set(r.group, [...(m.get(r.group) ?? []), r]);
    return [...m.entries()];
  }, [runs]);
  const best: Partial<Record<MetricKey, number>> = {};
  for (const metric of METRIC_KEYS) {
    for (const [, rs] of groups) {
      const s = meanSpread(rs.map((r) => r.metrics[metric] ?? NaN));
      if (s.n && (best[metric] === undefined || s.mean > best[metric]!)) best[metric] = s.mean;
    }
  }
  return (
    <section className="panel" aria-labelledby="compare-title">
      <h2 id="compare-title">Compare</h2>
      <Explain formulas={['6']}>
        Test-split metrics of each run's final model (section 6). Runs of one group differ only by their seed; the table shows
        their mean ± sample standard deviation and how many seeds, so a difference between groups can be read against the
        spread within them. The best mean of each column is bold. The last column says whether training went wrong: a
        collapse (every score equal), a divergence (the loss blew up; the trainer went back and halved the learning rate) or a
        stall; hover it for the steps. A run that collapsed is no evidence about its recipe.
      </Explain>
      <table className="data-table" data-testid="compare-table">
        <caption>Test metrics{groups.some(([, rs]) => rs.length > 1) ? ', mean ± standard deviation over seeds' : ''}</caption>
        <thead>
          <tr>
            <th scope="col">run</th>
            <th scope="col">seeds</th>
            {METRIC_KEYS.map((m) => (
              <th scope="col" key={m}>
                {metricLabel(m)}
              </th>
            ))}
            <th scope="col">training health</th>
          </tr>
        </thead>
        <tbody>
          {groups.map(([g, rs]) => (
            <tr key={g}>
              <th scope="row">
                {g}
                {rs[0].rerank && (
                  <span className="fine" data-testid="rerank-note">
                    {' '}
                    (metrics: {rs[0].rerank})
                  </span>
                )}
              </th>
              <td>{rs.length}</td>
              {METRIC_KEYS.map((m) => {
                const s = meanSpread(rs.map((r) => r.metrics[m] ?? NaN));
                return (
                  <td key={m} className={s.n && s.mean === best[m] ? 'best' : undefined} title={metricWithRerank(metricLabel(m), rs[0].rerank)}>
                    {s.n === 0 ? '–' : s.n === 1 ? fmt3(s.mean) : `${fmt3(s.mean)} ± ${fmt3(s.sd)}`}
                  </td>
                );
              })}
              <HealthCell runs={rs} />
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length > groups.length && (
        <details>
          <summary>Every run</summary>
          <table className="data-table compact">
            <caption>Test metrics of every run</caption>
            <thead>
              <tr>
                <th scope="col">run</th>
                <th scope="col">seed</th>
                {METRIC_KEYS.map((m) => (
                  <th scope="col" key={m}>
                    {metricLabel(m)}
                  </th>
                ))}
                <th scope="col">training health</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.name}</th>
                  <td>{r.seed ?? '–'}</td>
                  {METRIC_KEYS.map((m) => (
                    <td key={m}>{fmt3(r.metrics[m])}</td>
                  ))}
                  <HealthCell runs={[r]} />
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}

function OverlaidCurves({ runs }: { runs: CompareRun[] }) {
  const names = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.curves ?? {})))].sort(), [runs]);
  const [picked, setPicked] = useState<string | null>(null);
  const name = picked && names.includes(picked) ? picked : (names.find((n) => n.includes('ndcg@10')) ?? names[0]);
  const groups = [...new Set(runs.map((r) => r.group))];
  const lines: ChartLine[] = name
    ? runs
        .filter((r) => r.curves?.[name])
        .map((r) => {
          const g = groups.indexOf(r.group);
          const inGroup = runs.filter((x) => x.group === r.group).indexOf(r);
          return { key: r.id, name: r.name, series: r.curves![name], color: seriesColor(g), dashed: inGroup % 2 === 1 };
        })
    : [];
  return (
    <ChartFrame
      id="compare-curves"
      title="Curves, overlaid"
      formulas={['6']}
      legend={lines.map((l) => ({ name: l.name, color: l.color, dashed: l.dashed }))}
      controls={names.length ? <SelectField label="Curve" value={name ?? ''} onChange={setPicked} options={names.map((n) => ({ value: n, label: n }))} testId="compare-curve" /> : undefined}
      empty={lines.length === 0 ? 'None of these runs has recorded curves (imported metrics carry final values only).' : undefined}
      explain={
        <>
          The same curve of every run on one axis: held-out metrics after each evaluation, or the total training loss, by run
          step (phases laid end to end). One colour per group; seeds of a group alternate solid and dashed. Curves that separate
          early and stay apart point to a real difference; curves that cross back and forth are within seed noise.
        </>
      }
    >
      <SeriesChart lines={lines} xLabel="run step" yLabel={name ?? ''} envelope={false} description={`${name} of ${lines.length} runs`} />
    </ChartFrame>
  );
}

function PairedTest({ runs }: { runs: CompareRun[] }) {
  const candidates = uniqueRuns(runs.filter((r) => r.perQuery && Object.keys(r.perQuery).length > 0));
  const [aId, setA] = useState<string | null>(null);
  const [bId, setB] = useState<string | null>(null);
  const [metric, setMetric] = useState<MetricKey>('ndcg@10');
  const a = candidates.find((r) => r.id === aId) ?? candidates[candidates.length - 1];
  const b = candidates.find((r) => r.id === bId) ?? candidates.find((r) => r !== a);
  const pa = a?.perQuery?.[metric];
  const pb = b?.perQuery?.[metric];
  const result = useMemo(() => (pa && pb && a !== b ? pairedComparison(pa, pb) : null), [pa, pb, a, b]);
  const explain = (
    <>
      Two runs are compared query by query on the same test queries. A query is a win for run A when A's {metricLabel(metric)} is higher
      than B's, a loss when lower. Two paired tests (two-sided) ask whether the mean difference could be chance: the{' '}
      <strong>paired randomisation (permutation) test</strong> flips the sign of each query's difference at random,{' '}
      {PERMUTATION_ITERATIONS.toLocaleString('en-US')} times with a fixed seed, and reports how often the mean difference is at least as large
      as observed; the <strong>paired t-test</strong> assumes the differences are roughly normal. p below 0.05 is the usual bar for
      “significant”. Many ties with a few large wins is typical of distillation: it fixes some queries outright.
    </>
  );
  if (candidates.length < 2 || !a || !b) {
    return (
      <ChartFrame
        id="wins-losses"
        title="Per-query wins and losses, paired significance test"
        formulas={['6']}
        explain={explain}
        empty="Needs two runs with per-query metrics (runs evaluated in this lab, or imported metrics files with per-query values)."
      />
    );
  }
  const diffData = result ? [...result.wl.rows].reverse().map((r) => ({ qid: r.qid, diff: r.diff })) : [];
  const topWins = result ? result.wl.rows.filter((r) => r.diff > 0).slice(0, 8) : [];
  const topLosses = result ? result.wl.rows.filter((r) => r.diff < 0).slice(-8).reverse() : [];
  const q = (qid: string) => a.queries?.[qid] ?? b.queries?.[qid];
  const options = candidates.map((r) => ({ value: r.id, label: candidates.some((x) => x !== r && x.name === r.name) ? `${r.name}, seed ${r.seed ?? '?'}` : r.name }));
  return (
    <ChartFrame
      id="wins-losses"
      title="Per-query wins and losses, paired significance test"
      formulas={['6']}
      explain={explain}
      legend={[
        { name: `A wins (${a.name} higher)`, color: 'var(--good)' },
        { name: `A loses (${b.name} higher)`, color: 'var(--bad)' },
      ]}
      controls={
        <>
          <SelectField label="Run A" value={a.id} onChange={setA} options={options} testId="compare-a" />
          <SelectField label="Run B" value={b.id} onChange={setB} options={options} testId="compare-b" />
          <SelectField label="Metric" value={metric} onChange={setMetric} options={METRIC_KEYS.filter((m) => a.perQuery?.[m] && b.perQuery?.[m]).map((m) => ({ value: m, label: metricLabel(m) }))} />
        </>
      }
      caption={
        result ? (
          <div data-testid="paired-test">
            <p className="verdict" data-testid="verdict">
              {verdict(result, a.name, b.name)}
            </p>
            <dl className="metric-pairs wide">
              <div>
                <dt>Queries paired</dt>
                <dd>
                  {result.n}
                  {result.unpaired ? ` (${result.unpaired} scored by one run only, left out)` : ''}
                </dd>
              </div>
              <div>
                <dt>Wins / losses / ties of A</dt>
                <dd data-testid="wins-losses-counts">
                  {result.wl.wins} / {result.wl.losses} / {result.wl.ties}
                </dd>
              </div>
              <div>
                <dt>Mean {metricLabel(metric)}</dt>
                <dd>
                  A {fmt3(result.meanA)}, B {fmt3(result.meanB)}, A − B {fmtDiff(result.meanDiff)}
                </dd>
              </div>
              <div>
                <dt>Paired randomisation test</dt>
                <dd data-testid="permutation-p">
                  {fmtP(result.permutation.p)} ({result.permutation.iterations.toLocaleString('en-US')} sign flips, seed {result.permutation.seed})
                </dd>
              </div>
              <div>
                <dt>Paired t-test</dt>
                <dd>
                  t = {Number.isFinite(result.tTest.t) ? result.tTest.t.toFixed(3) : '∞'}, df = {result.tTest.df}, {fmtP(result.tTest.p)}
                </dd>
              </div>
            </dl>
            <div className="two-tables">
              <WinTable title={`Largest wins of A (${a.name})`} rows={topWins} q={q} />
              <WinTable title={`Largest losses of A (${b.name} better)`} rows={topLosses} q={q} />
            </div>
          </div>
        ) : (
          <p>Pick two different runs.</p>
        )
      }
    >
      {result && (
        <BarChart responsive style={{ width: '100%', height: 220 }} data={diffData} margin={{ top: 8, right: 16, bottom: 18, left: 8 }} barCategoryGap={0} title="Per-query differences" desc={`${metricLabel(metric)} of ${a.name} minus ${b.name}, per query, sorted`}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="qid" tick={false} label={{ value: `queries, sorted by difference (${result.n})`, position: 'insideBottom', offset: -4 }} />
          <YAxis tickFormatter={(v: number) => v.toFixed(2)} width={52} label={{ value: `Δ ${metricLabel(metric)}`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <ReferenceLine y={0} stroke="var(--muted)" />
          <Tooltip formatter={(v) => fmtDiff(Number(v))} labelFormatter={(qid) => `${qid}${q(String(qid)) ? `: ${truncate(q(String(qid))!, 60)}` : ''}`} />
          <Bar dataKey="diff" name="A − B" isAnimationActive={false}>
            {diffData.map((d) => (
              <Cell key={d.qid} fill={d.diff > 0 ? 'var(--good)' : d.diff < 0 ? 'var(--bad)' : 'var(--muted)'} />
            ))}
          </Bar>
        </BarChart>
      )}
    </ChartFrame>
  );
}

function WinTable({ title, rows, q }: { title: string; rows: { qid: string; a: number; b: number; diff: number }[]; q: (qid: string) => string | undefined }) {
  return (
    <table className="data-table compact">
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">query</th>
          <th scope="col">A</th>
          <th scope="col">B</th>
          <th scope="col">A − B</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={4}>none</td>
          </tr>
        ) : (
          rows.map((r) => (
            <tr key={r.qid}>
              <td title={q(r.qid)}>
                {r.qid}
                {q(r.qid) ? `: ${truncate(q(r.qid)!, 42)}` : ''}
              </td>
              <td>{fmt3(r.a)}</td>
              <td>{fmt3(r.b)}</td>
              <td>{fmtDiff(r.diff)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
