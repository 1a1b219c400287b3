// The contrast of chart text (SVG <text>), which axe-core leaves "incomplete" (it cannot find
// the background behind an SVG): measured here from computed styles. Each text's fill against
// what it is drawn on: a shape under it (a heatmap cell: an opaque <rect> before it holding its
// centre) or else the nearest
// element with an opaque background; and its stroke, which must be none (an inherited outline
// once washed out every tick).

/** Every visible `text` under `selector`: { text, fill, bg, onShape, ratio, stroke } (WCAG 2 ratio). */
export async function chartTextContrast(page, selector = '.chart-frame svg') {
  return page.evaluate((sel) => {
    const parse = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c ?? '');
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { rgb: [r, g, b], a };
    };
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (x, y) => {
      const [a, b] = [lum(x), lum(y)];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    };
    const backgroundOf = (el) => {
      // Drawn on a shape: an opaque <rect> before it in its group that holds the text's centre.
      const box = el.getBoundingClientRect();
      const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
      for (let prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (prev.tagName !== 'rect') continue;
        const r = prev.getBoundingClientRect();
        const f = parse(getComputedStyle(prev).fill);
        if (f && f.a === 1 && cx >= r.left && cx <= r.right && cy >= r.top && cy <= r.bottom) return { rgb: f.rgb, onShape: true };
      }
      for (let n = el.parentElement; n; n = n.parentElement) {
        const b = parse(getComputedStyle(n).backgroundColor);
        if (b && b.a === 1) return { rgb: b.rgb, onShape: false };
      }
      return { rgb: [255, 255, 255], onShape: false };
    };
    const out = [];
    for (const svg of document.querySelectorAll(sel)) {
      for (const t of svg.querySelectorAll('text')) {
        const box = t.getBoundingClientRect();
        if (box.width === 0 || !t.textContent.trim()) continue;
        const cs = getComputedStyle(t);
        const fill = parse(cs.fill);
        if (!fill) continue;
        const { rgb: bg, onShape } = backgroundOf(t);
        out.push({
          onShape,
          text: t.textContent.trim().slice(0, 40),
          cls: t.getAttribute('class') ?? '',
          fill: `rgb(${fill.rgb.join(', ')})`,
          bg: `rgb(${bg.join(', ')})`,
          ratio: Math.round(ratio(fill.rgb, bg) * 100) / 100,
          opacity: Number(cs.opacity) * fill.a,
          stroke: cs.stroke === 'none' || parseFloat(cs.strokeWidth) === 0 ? 'none' : `${cs.stroke} ${cs.strokeWidth}`,
        });
      }
    }
    return out;
  }, selector);
}

/** The texts of `chartTextContrast` that fail WCAG AA (4.5:1, opaque, no outline), as lines. */
export function failingText(rows) {
  return rows.filter((r) => r.ratio < 4.5 || r.opacity < 1 || r.stroke !== 'none').map((r) => `"${r.text}" (${r.cls}): ${r.fill} on ${r.bg} = ${r.ratio}:1, stroke ${r.stroke}, opacity ${r.opacity}`);
}
