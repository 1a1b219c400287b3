// Chart export: serialise a chart's <svg> into a standalone SVG file (styles resolved, since
// the page's CSS variables and classes do not travel with the file), and draw that SVG onto a
// canvas for a PNG. A title and the legend (HTML on screen) are drawn into the file so that the
// image explains itself.

import { downloadBlob, safeFileName } from '../download';

export interface LegendItem {
  name: string;
  color: string;
  /** Dashed line in the legend (e.g. teacher curves). */
  dashed?: boolean;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Inherited style properties: written on an element only where they differ from its parent's. */
const INHERITED = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray',
  'font-family', 'font-size', 'font-weight', 'text-anchor', 'visibility',
] as const;
/** Properties that do not inherit: written wherever they are not the initial value. */
const OWN: Record<string, string> = { opacity: '1', 'dominant-baseline': 'auto', 'stop-color': 'rgb(0, 0, 0)', 'stop-opacity': '1' };
/** Presentation attributes that may hold a CSS variable, which a standalone file cannot resolve. */
const PAINT_ATTRS = ['fill', 'stroke', 'stop-color'];

/** The chart's main <svg>: one marked data-export-root, Recharts' surface, else the largest. */
export function findChartSvg(root: Element): SVGSVGElement | null {
  const marked = root.querySelector<SVGSVGElement>('svg[data-export-root]');
  if (marked) return marked;
  const surface = root.querySelector<SVGSVGElement>('.recharts-wrapper > svg.recharts-surface');
  if (surface) return surface;
  let best: SVGSVGElement | null = null;
  let bestArea = 0;
  root.querySelectorAll<SVGSVGElement>('svg').forEach((s) => {
    const r = s.getBoundingClientRect();
    if (r.width * r.height > bestArea) {
      best = s;
      bestArea = r.width * r.height;
    }
  });
  return best;
}

/**
 * Copies the browser's computed styles onto the copy, so that class rules and CSS variables
 * survive outside the page; only what differs from the parent is written, to keep files small.
 * They are written as SVG presentation attributes, not a style attribute: the page's
 * Content-Security-Policy (style-src without 'unsafe-inline', tools/csp.ts) refuses inline
 * style attributes set from script. An attribute the element already has is always rewritten
 * (with the computed value), so a class rule that overrode it still wins in the file.
 */
function inlineStyles(orig: Element, copy: Element, parent: CSSStyleDeclaration | null): void {
  const cs = getComputedStyle(orig);
  for (const p of INHERITED) {
    const v = cs.getPropertyValue(p);
    if (!parent || parent.getPropertyValue(p) !== v || copy.hasAttribute(p)) copy.setAttribute(p, v);
  }
  for (const [p, initial] of Object.entries(OWN)) {
    const v = cs.getPropertyValue(p);
    if (v && (v !== initial || copy.hasAttribute(p))) copy.setAttribute(p, v);
  }
  copy.removeAttribute('style');
  for (const a of PAINT_ATTRS) {
    const v = copy.getAttribute(a);
    if (v && v.includes('var(')) copy.setAttribute(a, cs.getPropertyValue(a));
  }
  copy.removeAttribute('class');
  copy.removeAttribute('tabindex');
  const a = orig.children;
  const b = copy.children;
  for (let i = 0; i < a.length && i < b.length; i++) inlineStyles(a[i], b[i], cs);
}

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Resolves a CSS colour (a var() included) against an element, as the browser paints it. */
function resolveColor(color: string, against: Element): string {
  const probe = document.createElement('span');
  probe.style.color = color;
  probe.style.display = 'none';
  against.appendChild(probe);
  const out = getComputedStyle(probe).color;
  probe.remove();
  return out;
}

export interface SerializedChart {
  svg: string;
  width: number;
  height: number;
}

/** A standalone SVG document of the chart inside `root`, with a title and legend. */
export function serializeChart(root: Element, opts: { title?: string; legend?: LegendItem[] } = {}): SerializedChart {
  const svg = findChartSvg(root);
  if (!svg) throw new Error('no chart to export: the chart has not been drawn yet');
  const rect = svg.getBoundingClientRect();
  const w = Math.max(1, Math.round(rect.width || Number(svg.getAttribute('width')) || 600));
  const h = Math.max(1, Math.round(rect.height || Number(svg.getAttribute('height')) || 300));
  const copy = svg.cloneNode(true) as SVGSVGElement;
  inlineStyles(svg, copy, null);
  copy.querySelectorAll('[data-export-ignore]').forEach((n) => n.remove());
  copy.setAttribute('x', '0');
  copy.setAttribute('width', String(w));
  copy.setAttribute('height', String(h));
  if (!copy.getAttribute('viewBox')) copy.setAttribute('viewBox', `0 0 ${w} ${h}`);

  const frameStyle = getComputedStyle(root);
  const bg = frameStyle.backgroundColor && frameStyle.backgroundColor !== 'rgba(0, 0, 0, 0)' ? frameStyle.backgroundColor : getComputedStyle(document.body).backgroundColor;
  const fg = frameStyle.color;
  const font = frameStyle.fontFamily;
  const titleH = opts.title ? 28 : 0;
  const legend = opts.legend ?? [];
  // Legend: items flow left to right, wrapping at the chart width.
  const itemW = (it: LegendItem) => 34 + it.name.length * 7;
  const rows: LegendItem[][] = [];
  let row: LegendItem[] = [];
  let rowW = 0;
  for (const it of legend) {
    if (row.length && rowW + itemW(it) > w - 16) {
      rows.push(row);
      row = [];
      rowW = 0;
    }
    row.push(it);
    rowW += itemW(it);
  }
  if (row.length) rows.push(row);
  const legendH = rows.length ? rows.length * 20 + 8 : 0;
  const H = titleH + h + legendH;

  const out = el('svg', { xmlns: SVG_NS, width: w, height: H, viewBox: `0 0 ${w} ${H}`, 'font-family': font }) as SVGSVGElement;
  out.appendChild(el('rect', { x: 0, y: 0, width: w, height: H, fill: bg }));
  if (opts.title) out.appendChild(el('text', { x: 12, y: 19, fill: fg, 'font-size': 14, 'font-weight': 600 }, opts.title));
  copy.setAttribute('y', String(titleH));
  out.appendChild(copy);
  rows.forEach((items, r) => {
    let x = 12;
    const y = titleH + h + 14 + r * 20;
    for (const it of items) {
      const c = resolveColor(it.color, root);
      out.appendChild(el('line', { x1: x, y1: y - 4, x2: x + 22, y2: y - 4, stroke: c, 'stroke-width': 3, ...(it.dashed ? { 'stroke-dasharray': '5 3' } : {}) }));
      out.appendChild(el('text', { x: x + 28, y, fill: fg, 'font-size': 12 }, it.name));
      x += itemW(it);
    }
  });
  const text = '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(out);
  return { svg: text, width: w, height: H };
}

/** Rasterises a serialised chart at `scale` x its size. */
export async function chartToPng(chart: SerializedChart, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([chart.svg], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    const loaded = new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
    });
    img.src = url;
    await loaded;
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(chart.width * scale);
    canvas.height = Math.round(chart.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser gives no 2-D canvas to draw the PNG on');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, chart.width, chart.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function exportChart(root: Element, format: 'svg' | 'png', name: string, opts: { title?: string; legend?: LegendItem[] } = {}): Promise<void> {
  const chart = serializeChart(root, opts);
  const base = `distill-lab-${safeFileName(name)}`;
  if (format === 'svg') downloadBlob(new Blob([chart.svg], { type: 'image/svg+xml;charset=utf-8' }), `${base}.svg`);
  else downloadBlob(await chartToPng(chart), `${base}.png`);
}
