import { useState } from 'react';
import { ChartFrame } from '../chart/ChartFrame';
import { seriesColor } from '../chart/palette';
import { LiveLineChart } from '../chart/LiveLineChart';
import type { ChartLine } from '../chart/SeriesChart';
import { SelectField } from '../controls';
import { fmt3 } from '../format';
import type { RunViewState } from '../runState';
import { layerName, pairName } from './lead';

const explain = (
  <>
    LEAD weighs each selected layer pair by how well its teacher layer ranks on its own: c_j = −NLL(S_t^j) / layer temperature
    and lambda = softmax(c_1..c_k), held constant in the gradient (3.4). Each line is one teacher layer, with a dot at every
    logged step where it was selected; its height is the weight its pair received. Deeper teacher layers rank better and
    weigh more; a high layer temperature flattens the weights towards 1/k. With re-weighting off, every pair weighs w_layer.
  </>
);

export function LayerWeightsChart({ state }: { state: RunViewState }) {
  const leadPhases = state.phaseOrder.filter((id) => Object.keys(state.phases[id].layerWeights).length > 0);
  const [picked, setPicked] = useState<string | null>(null);
  const phaseId = picked && leadPhases.includes(picked) ? picked : leadPhases[leadPhases.length - 1];
  const phase = phaseId ? state.phases[phaseId] : undefined;
  if (!phase) {
    return <ChartFrame id="layer-weights" title="LEAD layer weights" formulas={['3.4']} explain={explain} empty="Appears during a LEAD phase with re-weighting on: the weight lambda of every selected layer pair, step by step." />;
  }
  const keys = Object.keys(phase.layerWeights).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const lines: ChartLine[] = keys.map((k, i) => ({ key: k, name: `teacher layer ${layerName(Number(k.slice(1)))}`, series: phase.layerWeights[k], color: seriesColor(i), dots: true }));
  return (
    <ChartFrame
      id="layer-weights"
      title="LEAD layer weights"
      formulas={['3.4']}
      explain={explain}
      legend={lines.map((l) => ({ name: l.name, color: l.color }))}
      controls={
        leadPhases.length > 1 ? (
          <SelectField label="Phase" value={phase.id} onChange={setPicked} options={leadPhases.map((id) => ({ value: id, label: state.phases[id].title }))} />
        ) : undefined
      }
      caption={
        phase.latestPairs && (
          <p>
            Latest step {phase.lastStep}:{' '}
            {phase.latestPairs.map((p, j) => `${pairName(p)} λ = ${fmt3(phase.latestWeights?.[j] ?? NaN)}`).join('; ')}.
          </p>
        )
      }
    >
      <LiveLineChart lines={lines} xLabel="step" yLabel="λ" yDomain={[0, 1]} envelope={false} description="LEAD layer weights by teacher layer and step" />
    </ChartFrame>
  );
}
