// A perceptually uniform sequential colour scale (viridis: dark purple -> yellow), readable on
// light and dark backgrounds and in greyscale; used by the KL heatmap and its legend.

// Viridis at 10 evenly spaced stops (matplotlib's table).
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

/** Colour of t in [0, 1] (clamped), as rgb(). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Black or white text, whichever reads better on viridis(t). */
export const textOn = (t: number): string => (t > 0.55 ? '#111' : '#fff');
