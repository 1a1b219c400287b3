// Human names of the loss terms the trainer reports (src/core/train/trainer.ts), with the
// formula of algorithms.md each one computes.

const LOSS_LABELS: Record<string, string> = {
  total: 'total loss',
  nll: 'contrastive NLL (3.1)',
  nll_student: 'student contrastive NLL (3.1)',
  response: 'response KD (3.2)',
  resp_kd: 'response KD (3.2)',
  layer: 'layer KD, sum of lambda_j KL_j (3.4)',
  layer_kd: 'layer KD, sum of lambda_j KL_j (3.4)',
  teacher_nll: 'teacher contrastive NLL (3.5, joint)',
  nll_teacher: 'teacher contrastive NLL (3.5, joint)',
  teacher_response: 'teacher response KL (3.5, joint)',
  kd: 'PROD KD, T^2 KL (3.3)',
  lwf: 'LwF KD against the stage-start student (3.6)',
};

export function lossLabel(name: string): string {
  return LOSS_LABELS[name] ?? name.replace(/_/g, ' ');
}

/** Order of the terms in legends: total first, then as listed above, then the rest. */
export function sortLossNames(names: string[]): string[] {
  const order = Object.keys(LOSS_LABELS);
  const rank = (n: string) => {
    const i = order.indexOf(n);
    return i < 0 ? order.length : i;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A short name for a phase id in chart markers: "prod:stage2" -> "stage2". */
export function shortPhase(id: string): string {
  const i = id.lastIndexOf(':');
  return i >= 0 ? id.slice(i + 1) : id;
}
