// The learning curves of a parity run (src/cli/parity.ts) next to its report: an SVG with the
// lab's and the twin's total loss per step (the lines should lie on each other) and a markdown
// table of both, with the relative error of every step.
import { writeFileSync } from 'node:fs';

export interface CurveReport {
  recipe: string;
  kind: string;
  backend: string;
  steps: number;
  lab_loss: number[];
  torch_loss: number[];
  max_rel_loss: number;
  max_rel_weight: number;
  pass: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** lab, torch: per-step losses -> a standalone SVG of both curves (lab solid, twin dashed). */
export function curvesSvg(r: CurveReport): string {
  const W = 640;
  const H = 320;
  const m = { l: 56, r: 16, t: 36, b: 40 };
  const all = [...r.lab_loss, ...r.torch_loss].filter(Number.isFinite);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const n = Math.max(r.lab_loss.length, 1);
  const x = (i: number) => m.l + ((W - m.l - m.r) * i) / Math.max(1, n - 1);
  const y = (v: number) => m.t + ((H - m.t - m.b) * (hi - v)) / (hi - lo);
  const line = (vs: number[]) =>
    vs.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const title = `${r.recipe} / ${r.kind} on ${r.backend}: total loss per step (max rel ${r.max_rel_loss.toExponential(1)}, weights ${r.max_rel_weight.toExponential(1)})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="12">${esc(title)}</text>`,
    ...ticks.map(
      (v) =>
        `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>` +
        `<text x="${m.l - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(3)}</text>`,
    ),
    `<text x="${m.l}" y="${H - 12}">step 1</text><text x="${W - m.r}" y="${H - 12}" text-anchor="end">step ${n}</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="3" points="${line(r.lab_loss)}"/>`,
    `<polyline fill="none" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="5,3" points="${line(r.torch_loss)}"/>`,
    `<line x1="${W - 190}" x2="${W - 166}" y1="${m.t + 4}" y2="${m.t + 4}" stroke="#1f77b4" stroke-width="3"/><text x="${W - 160}" y="${m.t + 8}">lab (tfjs, float32)</text>`,
    `<line x1="${W - 190}" x2="${W - 166}" y1="${m.t + 20}" y2="${m.t + 20}" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="5,3"/><text x="${W - 160}" y="${m.t + 24}">PyTorch twin (float64)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Both curves as a markdown table (every step up to 40, else 40 evenly spaced ones and the last). */
export function curvesMarkdown(r: CurveReport): string {
  const n = r.lab_loss.length;
  const idx = n <= 40 ? Array.from({ length: n }, (_, i) => i) : [...new Set([...Array.from({ length: 40 }, (_, k) => Math.round((k * (n - 1)) / 39))])];
  const rows = idx.map((i) => {
    const a = r.lab_loss[i];
    const b = r.torch_loss[i];
    return `| ${i + 1} | ${a.toFixed(6)} | ${b.toFixed(6)} | ${(Math.abs(a - b) / Math.max(Math.abs(b), 1e-6)).toExponential(1)} |`;
  });
  return [
    `# Parity: ${r.recipe} / ${r.kind} on ${r.backend}, ${r.steps} steps (${r.pass ? 'pass' : 'FAIL'})`,
    '',
    `max_rel_loss ${r.max_rel_loss.toExponential(2)}, max_rel_weight ${r.max_rel_weight.toExponential(2)}`,
    '',
    '| step | lab total loss (tfjs, float32) | twin total loss (PyTorch, float64) | rel. error |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** Writes FILE's stem + `.svg` and `.md` next to the report FILE (a .json path). */
export function writeCurves(r: CurveReport, reportFile: string): { svg: string; md: string } {
  const stem = reportFile.replace(/\.json$/i, '');
  const svg = `${stem}.svg`;
  const md = `${stem}.md`;
  writeFileSync(svg, curvesSvg(r));
  writeFileSync(md, curvesMarkdown(r));
  return { svg, md };
}
