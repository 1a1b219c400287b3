// A perceptually uniform sequential colour scale (viridis: dark purple -> yellow), readable on
// light and dark backgrounds and in greyscale; used by the KL heatmap and its legend. Text drawn
// on a cell takes whichever of near-black and white contrasts more with that cell's colour
// (WCAG 2 relative luminance), and the scale's labels take as many digits as the values need to
// read apart.

// Viridis at 10 evenly spaced stops (matplotlib's table).
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

/** viridis(t) as 0-255 channels, t in [0, 1] (clamped; not finite reads as 0). */
export function viridisRgb(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f));
  return [c[0], c[1], c[2]];
}

/** Colour of t in [0, 1] (clamped), as rgb(). */
export function viridis(t: number): string {
  const [r, g, b] = viridisRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/** WCAG 2 relative luminance of an sRGB colour given as 0-255 channels. */
export function relativeLuminance([r, g, b]: readonly number[]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: readonly number[], b: readonly number[]): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

// Pure black: with #111 the colours where black and white contrast alike fall just under 4.5:1.
const DARK_TEXT: [number, number, number] = [0, 0, 0];
const LIGHT_TEXT: [number, number, number] = [255, 255, 255];

/**
 * Black or white text, whichever contrasts more with viridis(t). Chosen from the cell's
 * luminance, not from t: a fixed cut in t left white text on the green cells (3:1 and worse).
 */
export function textOn(t: number): string {
  const bg = viridisRgb(t);
  return contrastRatio(DARK_TEXT, bg) >= contrastRatio(LIGHT_TEXT, bg) ? '#000' : '#fff';
}

/**
 * A formatter that tells `values` apart: the fewest decimals (2 to 4) under which every two
 * different values get different labels and no non-zero value reads as 0, else exponent form
 * with the fewest significant digits (2 to 4) that does. So a scale of 0, 0.0002 and 0.0004
 * reads "0", "0.0002", "0.0004", not "0.000" three times.
 */
export function distinctFormatter(values: readonly number[]): (v: number) => string {
  const finite = [...new Set(values.filter((v) => Number.isFinite(v)))];
  const apart = (f: (v: number) => string) => {
    const seen = new Map<string, number>();
    for (const v of finite) {
      const s = f(v);
      if (v !== 0 && Number(s) === 0) return false;
      const other = seen.get(s);
      if (other !== undefined && other !== v) return false;
      seen.set(s, v);
    }
    return true;
  };
  const fixed = (d: number) => (v: number) => (v === 0 ? '0' : v.toFixed(d));
  const expo = (p: number) => (v: number) => (v === 0 ? '0' : v.toExponential(p - 1));
  const wrap = (f: (v: number) => string) => (v: number) => (Number.isFinite(v) ? f(v) : '–');
  for (const d of [2, 3, 4]) if (apart(fixed(d))) return wrap(fixed(d));
  for (const p of [2, 3, 4]) if (apart(expo(p))) return wrap(expo(p));
  return wrap(expo(4));
}
