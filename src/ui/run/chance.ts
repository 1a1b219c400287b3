// Where a model sits when it has learned nothing: the loss of a blind guess and the layer
// distributions of a collapsed encoder, for the chance line on the loss charts and the
// "at chance" notes on the layer views.
import type { ChartGuide } from '../chart/SeriesChart';

/**
 * The contrastive NLL (3.1) of a model that gives all N candidates the same score: each gets
 * probability 1/N, so -log(1/N) = ln N. A loss curve above it is worse than guessing.
 */
export function chanceGuide(candidates: number): ChartGuide {
  const y = Math.log(candidates);
  return {
    y,
    label: `chance: ln ${candidates} = ${y.toFixed(2)}`,
    title:
      `The contrastive NLL of a model that scores all ${candidates} candidates of a query alike (a blind guess): ` +
      `ln ${candidates} = ${y.toFixed(3)}. The NLL starts near here and should fall below it; a curve that stays on it has learned nothing.`,
  };
}

/** The chance lines of a set of phases' candidate counts: one per distinct count. */
export function chanceGuides(candidates: readonly (number | null | undefined)[]): ChartGuide[] {
  const ns = [...new Set(candidates.filter((n): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 2))].sort((a, b) => a - b);
  return ns.map(chanceGuide);
}

/**
 * True when a softmax over the candidates is uniform (every probability within `rel` of 1/N,
 * relative), which is what a layer whose scores are all equal gives: a collapsed encoder.
 */
export function isUniform(p: readonly number[] | undefined, rel = 0.01): boolean {
  if (!p || p.length < 2) return false;
  const u = 1 / p.length;
  return p.every((x) => Number.isFinite(x) && Math.abs(x - u) <= rel * u);
}

/**
 * The layers (0-based) whose distributions are uniform for every one of `distributions`
 * ([query][layer][candidate]), e.g. the sampled queries of one step: layers at chance.
 */
export function layersAtChance(distributions: readonly (readonly (readonly number[])[])[]): number[] {
  if (distributions.length === 0) return [];
  const L = Math.min(...distributions.map((d) => d.length));
  const out: number[] = [];
  for (let l = 0; l < L; l++) if (distributions.every((d) => isUniform(d[l]))) out.push(l);
  return out;
}
