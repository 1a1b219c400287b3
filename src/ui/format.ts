// Number formatting shared by the views (tables, axes, tooltips).

/** A metric or probability: 3 decimals. */
export const fmt3 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));

/** Compact general number: 4 significant digits, exponent form for very small or large values. */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** A learning rate: always exponent form (5e-4). */
export function fmtLr(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  return v.toExponential(1).replace('.0e', 'e').replace('e-', 'e-').replace('e+', 'e');
}

const SI = [
  { v: 1e12, s: 'T' },
  { v: 1e9, s: 'G' },
  { v: 1e6, s: 'M' },
  { v: 1e3, s: 'k' },
];

/** 1234567 -> "1.23 M" (parameter counts, FLOPs). */
export function fmtSI(v: number, unit = ''): string {
  if (!Number.isFinite(v)) return '–';
  for (const { v: base, s } of SI) if (Math.abs(v) >= base) return `${(v / base).toPrecision(3)} ${s}${unit}`;
  return `${Math.round(v)}${unit ? ' ' + unit : ''}`;
}

/** 1234567 -> "1,234,567". */
// One formatter, made once: toLocaleString builds a new one per call (measurable on a dashboard
// that formats hundreds of counts per redraw).
const INT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const fmtInt = (v: number): string => (Number.isFinite(v) ? INT_FORMAT.format(Math.round(v)) : '–');

/** Signed difference with 3 decimals: +0.012, −0.004. */
export function fmtDiff(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const s = Math.abs(v).toFixed(3);
  return v > 0 ? `+${s}` : v < 0 ? `−${s}` : `±${s}`;
}

/** A p-value: "< 0.001" below a thousandth, else 3 decimals. */
/** "p = 0.042", "p < 0.001" or "p = –" (not computable). */
export const fmtP = (p: number): string => (!Number.isFinite(p) ? 'p = –' : p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** Cuts text to n characters with an ellipsis. */
export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
