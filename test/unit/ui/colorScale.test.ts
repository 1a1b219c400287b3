// The KL heatmap's colours and labels (src/ui/chart/colorScale.ts): text on every cell colour
// passes WCAG AA (4.5:1), and the colour bar's labels tell different values apart.
import { describe, expect, it } from 'vitest';
import { contrastRatio, distinctFormatter, relativeLuminance, textOn, viridisRgb } from '../../../src/ui/chart/colorScale';

const rgbOf = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const expand = (hex: string) => (hex.length === 4 ? `#${hex[1]}${hex[1]}${hex[2]}${hex[2]}${hex[3]}${hex[3]}` : hex);

describe('colour scale', () => {
  it('computes WCAG luminance and contrast', () => {
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1, 6);
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 6);
    // WebAIM's checker: #767676 on white is 4.54:1.
    expect(contrastRatio(rgbOf('#767676'), [255, 255, 255])).toBeCloseTo(4.54, 2);
  });

  it('puts text on every cell colour at 4.5:1 or more (AA), yellow cells included', () => {
    let worst = Infinity;
    for (let i = 0; i <= 200; i++) {
      const t = i / 200;
      const ratio = contrastRatio(rgbOf(expand(textOn(t))), viridisRgb(t));
      worst = Math.min(worst, ratio);
      expect(ratio, `t = ${t}, text ${textOn(t)}`).toBeGreaterThanOrEqual(4.5);
    }
    expect(worst).toBeGreaterThan(4.5);
    expect(textOn(1)).toBe('#000'); // yellow
    expect(textOn(0)).toBe('#fff'); // dark purple
    expect(textOn(Infinity)).toBe('#fff'); // not finite reads as 0, as viridis does
  });

  it('labels tell apart values that three decimals would not', () => {
    const f = distinctFormatter([0, 0.0002, 0.0004]);
    expect([0, 0.0002, 0.0004].map(f)).toEqual(['0', '0.0002', '0.0004']);
    const g = distinctFormatter([0.00012, 0.00019, 0.00031]);
    expect(new Set([0.00012, 0.00019, 0.00031].map(g)).size).toBe(3);
    expect(g(0.00012)).not.toMatch(/^0(\.0+)?$/);
  });

  it('keeps short fixed labels where they suffice', () => {
    const f = distinctFormatter([0, 0.4155, 0.831]);
    expect([0, 0.4155, 0.831].map(f)).toEqual(['0', '0.42', '0.83']);
    const g = distinctFormatter([0.171, 0.174, 0.5]);
    expect([0.171, 0.174, 0.5].map(g)).toEqual(['0.171', '0.174', '0.500']);
    expect(distinctFormatter([1, 1, 1])(1)).toBe('1.00');
    expect(distinctFormatter([NaN, 0.5])(NaN)).toBe('–');
  });
});
