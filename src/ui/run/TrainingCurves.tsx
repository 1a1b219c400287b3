import { useMemo, useState } from 'react';
import type { ModelRole } from '../../core/train/events';
import { ChartFrame } from '../chart/ChartFrame';
import { ROLE_COLOR, seriesColor } from '../chart/palette';
import { LiveLineChart } from '../chart/LiveLineChart';
import type { ChartLine } from '../chart/SeriesChart';
import { SelectField } from '../controls';
import { fmtLr } from '../format';
import { evalKey, METRIC_KEYS, type MetricKey, type RunViewState } from '../runState';
import { chanceGuides } from './chance';
import { healthMarkers } from './HealthBanner';
import { lossLabel, shortPhase, sortLossNames } from './lossNames';

const METRIC_LABEL: Record<MetricKey, string> = {
  'mrr@10': 'MRR@10',
  'ndcg@10': 'nDCG@10',
  'recall@10': 'Recall@10',
  'recall@100': 'Recall@100',
  map: 'MAP',
};
export const metricLabel = (m: string): string => METRIC_LABEL[m as MetricKey] ?? m;

function PhasePicker({ state, value, onChange }: { state: RunViewState; value: string; onChange: (v: string) => void }) {
  return (
    <SelectField
      label="Phase"
      value={value}
      onChange={onChange}
      testId="phase-picker"
      options={state.phaseOrder.map((id) => ({ value: id, label: `${state.phases[id].title} (${state.phases[id].lastStep}/${state.phases[id].totalSteps})` }))}
    />
  );
}

/** Loss terms, learning rate and train accuracy of one phase, and eval metrics over the run. */
export function TrainingCurves({ state }: { state: RunViewState }) {
  const [picked, setPicked] = useState<string | null>(null);
  // Follow the running phase until the user picks one.
  const phaseId = picked && state.phases[picked] ? picked : (state.currentPhase ?? state.phaseOrder[0] ?? null);
  const phase = phaseId ? state.phases[phaseId] : null;
  const picker = phase ? <PhasePicker state={state} value={phase.id} onChange={setPicked} /> : null;
  const noSteps = 'Curves appear with the first step the trainer reports (every "log every" steps).';

  const lossLines: ChartLine[] = phase
    ? sortLossNames(Object.keys(phase.losses)).map((name, i) => ({
        key: name, name: lossLabel(name), series: phase.losses[name], color: name === 'total' ? 'var(--fg)' : seriesColor(i), dashed: name === 'total',
      }))
    : [];
  const accLines: ChartLine[] = phase
    ? (Object.keys(phase.trainAcc) as ModelRole[]).map((role) => ({ key: role, name: role, series: phase.trainAcc[role], color: ROLE_COLOR[role] ?? seriesColor(0) }))
    : [];

  return (
    <div className="chart-grid">
      <ChartFrame
        id="losses"
        title="Loss terms"
        formulas={['3.1', '3.2', '3.3', '3.4', '3.5', '3.6']}
        controls={picker}
        legend={[
          ...lossLines.map((l) => ({ name: l.name, color: l.color, dashed: l.dashed })),
          ...(lossLines.length > 0 && phase?.candidates ? [{ name: `chance: ln ${phase.candidates}`, color: 'var(--muted)', dashed: true }] : []),
        ]}
        empty={lossLines.length === 0 ? noSteps : undefined}
        explain={
          <>
            Every term of the phase's objective, as the trainer reads them back every few steps. A contrastive phase has one
            term, the NLL of the positive passage (3.1). LEAD adds the response KL between final score distributions (3.2) and
            the layer KL, the lambda-weighted sum of per-layer-pair KLs (3.4); with joint training the teacher's own terms appear
            too (3.5). A PROD stage shows NLL, the T²-scaled KD (3.3) and, after the first stage, LwF (3.6). The dashed line
            is the total the optimiser minimises. Once a run is long, each point is the mean of several steps and the shaded
            band their min..max. Coloured markers show where the trainer's health check named a collapse, a divergence (after
            which it went back to the last healthy state at half the learning rate) or a stall; the banner above explains each.
            The dashed horizontal line is chance for the NLL: a model that scores all N candidates of a query alike (N = the
            batch's passages for in-batch negatives, B × (1 + negatives); the query's own group against a cross-encoder) puts
            1/N on the positive, a loss of ln N. The NLL starts near it and should fall below; one that stays on it has
            learned nothing (the KD terms are KL divergences, with no such line).
          </>
        }
      >
        <LiveLineChart
          lines={lossLines}
          xLabel="step"
          yLabel="loss"
          markers={healthMarkers(state, phase?.id ?? null)}
          guides={chanceGuides([phase?.candidates])}
          description={`Loss terms of ${phase?.title ?? 'the phase'} by step${phase?.candidates ? `; chance (ln ${phase.candidates}) drawn as a dashed line` : ''}`}
        />
      </ChartFrame>

      <ChartFrame
        id="lr"
        title="Learning rate"
        formulas={['7']}
        controls={picker}
        legend={phase ? [{ name: 'learning rate', color: seriesColor(0) }] : []}
        empty={!phase || phase.lr.count === 0 ? noSteps : undefined}
        explain={
          <>
            AdamW's learning rate at each step: a linear warm-up from 0 to the peak over the first warm-up fraction of the steps,
            then a linear decay to 0 at the last step (section 7). PROD's data-progressive stage uses a lower peak.
          </>
        }
      >
        {phase && (
          <LiveLineChart
            lines={[{ key: 'lr', name: 'learning rate', series: phase.lr, color: seriesColor(0) }]}
            xLabel="step"
            yLabel="lr"
            yTickFormat={fmtLr}
            envelope={false}
            description={`Learning rate schedule of ${phase.title}`}
          />
        )}
      </ChartFrame>

      <ChartFrame
        id="train-acc"
        title="Train accuracy"
        formulas={['2']}
        controls={picker}
        legend={accLines.map((l) => ({ name: l.name, color: l.color }))}
        empty={accLines.length === 0 ? noSteps : undefined}
        explain={
          <>
            The fraction of the batch's queries whose positive passage gets the highest score, for each model being watched. It
            is measured on training batches (in-batch negatives included, section 2), so it runs ahead of the held-out metrics.
          </>
        }
      >
        <LiveLineChart lines={accLines} xLabel="step" yLabel="accuracy" yDomain={[0, 1]} description="Train accuracy by step" />
      </ChartFrame>

      <StudentRace state={state} />

      <EvalChart state={state} />
    </div>
  );
}

/**
 * The same student's own contrastive NLL under every recipe of the run, step for step: the
 * student alone against each distilled one (teacher phases left out).
 */
const isAlone = (id: string) => id === 'baseline' || id.endsWith(':baseline');

function StudentRace({ state }: { state: RunViewState }) {
  const lines: ChartLine[] = state.phaseOrder
    .filter((id) => !id.startsWith('teacher'))
    .map((id) => state.phases[id])
    .map((p) => ({ p, series: p.losses.nll_student ?? p.losses.nll }))
    .filter((x) => x.series !== undefined)
    .map(({ p, series }, i) => ({ key: p.id, name: p.title, series: series!, color: isAlone(p.id) ? 'var(--fg)' : seriesColor(i), dashed: isAlone(p.id) }));
  if (lines.length < 2) return null;
  const guides = chanceGuides(state.phaseOrder.filter((id) => !id.startsWith('teacher')).map((id) => state.phases[id].candidates));
  return (
    <ChartFrame
      id="student-race"
      title="The student under each recipe"
      formulas={['3.1']}
      legend={[...lines.map((l) => ({ name: l.name, color: l.color, dashed: l.dashed })), ...guides.map((g) => ({ name: g.label, color: 'var(--muted)', dashed: true }))]}
      explain={
        <>
          The student's own contrastive NLL (3.1) in each phase, on its own step axis: the same student, from the same
          initial weights, on the same batches, alone (dashed) and with each teacher signal. A distilled student minimises more
          than this term (matching the teacher pulls its scores toward the teacher's), so its curve can sit above the student
          alone's while it ranks better: read the slopes here, and the held-out test metrics in the table at the end. PROD's
          stages each start at step 1. The dashed horizontal line is chance, ln N for N candidates per query: the NLL of a
          student that scores them all alike.
        </>
      }
    >
      <LiveLineChart lines={lines} xLabel="step" yLabel="student NLL" guides={guides} description="The student's contrastive NLL by step under each recipe" />
    </ChartFrame>
  );
}

function EvalChart({ state }: { state: RunViewState }) {
  const splits = useMemo(() => [...new Set(state.evals.map((e) => e.split))], [state.evals]);
  const [split, setSplit] = useState<string | null>(null);
  const [metric, setMetric] = useState<MetricKey>('ndcg@10');
  const activeSplit = split && splits.includes(split) ? split : (splits.includes('dev') ? 'dev' : splits[0]);
  const roles: ModelRole[] = ['teacher', 'student'];
  const lines: ChartLine[] = roles
    .map((role) => ({ role, s: state.evalSeries[evalKey(role, activeSplit ?? '', metric)] }))
    .filter((x) => x.s && x.s.count > 0)
    .map(({ role, s }) => ({ key: role, name: `${role}, ${activeSplit}`, series: s, color: ROLE_COLOR[role], dashed: role === 'teacher' }));
  const markers = state.phaseOrder.slice(1).map((id) => ({ x: state.phases[id].offset, label: shortPhase(id) }));
  const controls = splits.length ? (
    <>
      <SelectField label="Split" value={activeSplit ?? ''} onChange={setSplit} options={splits.map((s) => ({ value: s, label: s }))} testId="eval-split" />
      <SelectField label="Metric" value={metric} onChange={setMetric} options={METRIC_KEYS.map((m) => ({ value: m, label: metricLabel(m) }))} testId="eval-metric" />
    </>
  ) : null;
  return (
    <ChartFrame
      id="eval"
      title="Held-out retrieval metrics"
      formulas={['6']}
      controls={controls}
      legend={lines.map((l) => ({ name: l.name, color: l.color, dashed: l.dashed }))}
      empty={lines.length === 0 ? 'Metrics appear after the first evaluation (every "eval every" steps, and at the end of each phase).' : undefined}
      explain={
        <>
          Retrieval quality on held-out queries, ranked over the whole corpus, as trec_eval computes it (section 6): MRR@10 is the
          mean reciprocal rank of the first relevant passage in the top 10; nDCG@10 rewards graded relevance near the top;
          Recall@k counts the relevant passages found in the top k. The x axis runs across phases, which follow each other
          (dotted lines mark where a phase starts).
        </>
      }
    >
      <LiveLineChart lines={lines} xLabel="run step" yLabel={metricLabel(metric)} yDomain={[0, 'auto']} markers={markers} envelope={false} description={`${metricLabel(metric)} on ${activeSplit} by run step`} />
    </ChartFrame>
  );
}
