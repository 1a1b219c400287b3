import { memo } from 'react';
import { ChartFrame } from '../chart/ChartFrame';
import { distinctFormatter, textOn, viridis } from '../chart/colorScale';
import type { RunViewState } from '../runState';
import { layersAtChance } from './chance';
import { layerName } from './lead';

const explain = (
  <>
    Each cell is KL( softmax(S_t^b / τ) ‖ softmax(S_s^a) ) over one batch: how far student layer a's distribution over the
    batch's passages is from teacher layer b's, for every teacher layer (rows) and student layer (columns), as in the LEAD
    layer loss (3.4). Darker is closer. Outlined cells are the pairs LEAD trains on at this step (random selection, re-sampled
    every few steps, paired in order, section 4). Early layers usually sit far from everything; as distillation proceeds the
    trained pairs (and their neighbours) darken. The numbers take as many digits as it needs to tell the cells apart (KL
    early in a run can be well under 0.001). When a model's layers give every candidate the same score (a collapsed encoder)
    a note under the map says so: such a layer's distribution is uniform, "at chance", and its KL to a teacher layer only
    measures how far that teacher layer is from uniform.
  </>
);

const CELL = 48;
const LEFT = 92;
const TOP = 34;
const LEGEND_W = 16;

/**
 * Teacher-layer x student-layer KL matrix as an SVG grid with a colour scale and legend.
 * Redrawn only when a new matrix arrives, not with every batch of run events.
 */
export const KLHeatmap = memo(function KLHeatmap({ state }: { state: RunViewState }) {
  const ev = state.layerKL;
  if (!ev || ev.kl.length === 0) {
    return <ChartFrame id="kl-heatmap" title="Layer KL heatmap" formulas={['3.4', '4']} explain={explain} empty="Appears when a LEAD phase reports its first teacher-layer x student-layer KL matrix." />;
  }
  const Lt = ev.kl.length;
  const Ls = ev.kl[0].length;
  let max = 0;
  for (const row of ev.kl) for (const v of row) if (Number.isFinite(v) && v > max) max = v;
  const norm = (v: number) => (max > 0 ? v / max : 0);
  // Labels with as many digits as the values need to read apart (KL early in a run, or between
  // collapsed layers, can be well under 0.001 everywhere).
  const legendValues = [0, max / 2, max];
  const cellLabel = distinctFormatter([...ev.kl.flat(), ...legendValues]);
  const legendLabel = cellLabel;
  // selected holds (student layer, teacher layer) pairs, as StepEvent.layerPairs does.
  const isSelected = (t: number, s: number) => ev.selected.some(([a, b]) => a === s && b === t);
  // Layers at chance: uniform distributions in every query sampled at the phase's latest step.
  const sampled = Object.values(state.distributions).filter((d) => d.phase === ev.phase);
  const lastStep = Math.max(-Infinity, ...sampled.map((d) => d.step));
  const latest = sampled.filter((d) => d.step === lastStep);
  const studentAtChance = layersAtChance(latest.map((d) => d.student));
  const teacherAtChance = layersAtChance(latest.map((d) => d.teacher));
  const flat = ev.kl.flat().filter((v) => Number.isFinite(v));
  const allEqual = flat.length > 1 && flat.every((v) => v === flat[0]);
  const layers = (ls: number[]) => `layer${ls.length === 1 ? '' : 's'} ${ls.map(layerName).join(', ')}`;
  const gridW = Ls * CELL;
  const gridH = Lt * CELL;
  const legendX = LEFT + gridW + 28;
  const width = legendX + LEGEND_W + 60;
  const height = TOP + gridH + 46;
  const gradientId = 'kl-gradient';
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  return (
    <ChartFrame
      id="kl-heatmap"
      title="Layer KL heatmap"
      formulas={['3.4', '4']}
      explain={explain}
      caption={
        <>
          <p>
          Step {ev.step} of {ev.phase}: {Lt} teacher layers × {Ls} student layers; {ev.selected.length} selected pair{ev.selected.length === 1 ? '' : 's'}. Largest KL {cellLabel(max)}.
          </p>
          {(studentAtChance.length > 0 || teacherAtChance.length > 0) && (
            <p className="chance-note" role="note" data-testid="heatmap-at-chance">
              <strong>At chance:</strong>{' '}
              {[studentAtChance.length > 0 ? `student ${layers(studentAtChance)}` : '', teacherAtChance.length > 0 ? `teacher ${layers(teacherAtChance)}` : '']
                .filter(Boolean)
                .join(' and ')}{' '}
              give every candidate the same score in all {latest.length} quer{latest.length === 1 ? 'y' : 'ies'} sampled at step {lastStep}: a uniform
              distribution, which ranks nothing (a collapsed encoder). KL to a uniform layer is only how far the other side is from
              uniform (ln N minus its entropy), not agreement.
            </p>
          )}
          {allEqual && (
            <p className="chance-note" role="note" data-testid="heatmap-all-equal">
              Every cell holds the same KL ({cellLabel(flat[0])}): the map has nothing to tell apart at this step.
            </p>
          )}
        </>
      }
    >
      <div className="heatmap-scroll">
        <svg
          data-export-root
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label={`KL divergence between ${Lt} teacher layers and ${Ls} student layers at step ${ev.step}; ${ev.selected.length} selected pairs outlined`}
          data-testid="kl-heatmap"
          className="heatmap"
        >
          <text x={LEFT + gridW / 2} y={14} textAnchor="middle" className="axis-title">
            student layer
          </text>
          {Array.from({ length: Ls }, (_, s) => (
            <text key={`c${s}`} x={LEFT + s * CELL + CELL / 2} y={TOP - 6} textAnchor="middle" className="tick">
              {layerName(s)}
            </text>
          ))}
          <text x={14} y={TOP + gridH / 2} textAnchor="middle" transform={`rotate(-90 14 ${TOP + gridH / 2})`} className="axis-title">
            teacher layer
          </text>
          {ev.kl.map((row, t) =>
            row.map((v, s) => (
              <g key={`${t}-${s}`}>
                <rect
                  x={LEFT + s * CELL}
                  y={TOP + t * CELL}
                  width={CELL - 2}
                  height={CELL - 2}
                  fill={viridis(norm(v))}
                  data-testid="heatmap-cell"
                  data-teacher={t}
                  data-student={s}
                >
                  <title>{`teacher layer ${layerName(t)}, student layer ${layerName(s)}: KL ${cellLabel(v)}`}</title>
                </rect>
                <text x={LEFT + s * CELL + CELL / 2 - 1} y={TOP + t * CELL + CELL / 2 + 3} textAnchor="middle" fontSize={11} fill={textOn(norm(v))} className="heatmap-value" data-testid="heatmap-value">
                  {cellLabel(v)}
                </text>
              </g>
            )),
          )}
          {Array.from({ length: Lt }, (_, t) => (
            <text key={`r${t}`} x={LEFT - 8} y={TOP + t * CELL + CELL / 2 + 4} textAnchor="end" className="tick">
              {layerName(t)}
            </text>
          ))}
          {ev.kl.map((row, t) =>
            row.map((_, s) =>
              isSelected(t, s) ? (
                <rect
                  key={`sel-${t}-${s}`}
                  x={LEFT + s * CELL - 2}
                  y={TOP + t * CELL - 2}
                  width={CELL + 2}
                  height={CELL + 2}
                  fill="none"
                  className="heatmap-selected"
                  strokeWidth={3}
                  data-testid="heatmap-selected"
                />
              ) : null,
            ),
          )}
          <defs>
            <linearGradient id={gradientId} x1="0" y1="1" x2="0" y2="0">
              {stops.map((f) => (
                <stop key={f} offset={f} stopColor={viridis(f)} />
              ))}
            </linearGradient>
          </defs>
          <rect x={legendX} y={TOP} width={LEGEND_W} height={gridH} fill={`url(#${gradientId})`} />
          {legendValues.map((v, i) => (
            <text key={i} x={legendX + LEGEND_W + 6} y={TOP + gridH - (i / 2) * gridH + 4} className="tick" data-testid="heatmap-legend-label">
              {legendLabel(v)}
            </text>
          ))}
          <text x={legendX} y={TOP + gridH + 18} className="tick">
            KL
          </text>
          <rect x={LEFT} y={TOP + gridH + 22} width={14} height={14} fill="none" className="heatmap-selected" strokeWidth={3} />
          <text x={LEFT + 20} y={TOP + gridH + 33} className="tick">
            selected pair
          </text>
        </svg>
      </div>
      <details className="table-alt">
        <summary>Show the values as a table</summary>
        <table className="data-table compact">
          <caption>KL(teacher layer ‖ student layer), step {ev.step}</caption>
          <thead>
            <tr>
              <th scope="col">teacher \ student</th>
              {Array.from({ length: Ls }, (_, s) => (
                <th scope="col" key={s}>
                  {layerName(s)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ev.kl.map((row, t) => (
              <tr key={t}>
                <th scope="row">{layerName(t)}</th>
                {row.map((v, s) => (
                  <td key={s} className={isSelected(t, s) ? 'selected-cell' : undefined}>
                    {cellLabel(v)}
                    {isSelected(t, s) ? ' (selected)' : ''}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </ChartFrame>
  );
}, (a, b) => a.state.layerKL === b.state.layerKL && a.state.distributions === b.state.distributions);
