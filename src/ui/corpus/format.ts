// Number formatting shared by the corpus views.
// One formatter, made once: toLocaleString builds a new Intl.NumberFormat on every call, and the
// corpus list formats thousands of numbers per render (measured: most of a 52 ms main-thread task
// while an upload's progress updated).
const intFormat = new Intl.NumberFormat('en-US');
export const fmtInt = (n: number) => intFormat.format(n);

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const fmtMetric = (x: number) => x.toFixed(3);
export const fmtAvg = (x: number) => x.toFixed(1);
