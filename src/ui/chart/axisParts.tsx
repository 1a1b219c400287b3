// Axis parts for Recharts charts that skip Recharts' text measurement: tick labels and axis
// titles as plain SVG text. Recharts' own measure every label in the DOM (a forced layout per
// new string) to thin out overlapping ticks and to wrap titles; these charts give their ticks
// explicitly, so nothing can overlap.
/** A tick label as plain SVG text (Recharts' own measures each label in the DOM to avoid overlaps; these never overlap). */
export function tick(fmt: (v: number) => string, axis: 'x' | 'y') {
  return function Tick(p: { x?: number | string; y?: number | string; payload?: { value: number | string } }) {
    return (
      <text x={Number(p.x)} y={Number(p.y)} dy={axis === 'x' ? 12 : 4} textAnchor={axis === 'x' ? 'middle' : 'end'} className="chart-tick" fontSize={11}>
        {typeof p.payload?.value === 'string' ? p.payload.value : fmt(Number(p.payload?.value))}
      </text>
    );
  };
}

/** An axis title as plain SVG text, placed from the axis' box. */
export function axisTitle(text: string, axis: 'x' | 'y') {
  return function Title(p: { viewBox?: unknown }) {
    const v = (p.viewBox ?? {}) as { x?: number; y?: number; width?: number; height?: number };
    const [x, y, w, h] = [v.x ?? 0, v.y ?? 0, v.width ?? 0, v.height ?? 0];
    return axis === 'x' ? (
      <text x={x + w / 2} y={y + h + 14} textAnchor="middle" className="chart-axis-title" fontSize={12}>
        {text}
      </text>
    ) : (
      <text x={x + 12} y={y + h / 2} transform={`rotate(-90 ${x + 12} ${y + h / 2})`} textAnchor="middle" className="chart-axis-title" fontSize={12}>
        {text}
      </text>
    );
  };
}

