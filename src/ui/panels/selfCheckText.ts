// How the Data tab's self-check table writes a backend's error against the CPU reference.

/**
 * The self-check's max relative error as the table shows it: "reference" for the CPU backend
 * (every other backend is checked against it, so it is compared with itself), "< 1e-6" below
 * what float32 arithmetic can tell apart, else two significant digits.
 */
export function relErrorText(backend: string, err: number): string {
  if (backend === 'cpu') return 'reference';
  if (!Number.isFinite(err)) return '–';
  if (err < 1e-6) return '< 1e-6';
  return err.toExponential(1);
}
