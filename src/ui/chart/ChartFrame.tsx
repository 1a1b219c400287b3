import { useId, useRef, useState, type ReactNode } from 'react';
import { Explain } from '../Explain';
import { exportChart, type LegendItem } from './exportChart';

export interface ChartFrameProps {
  /** Stable id: the test id and the exported file's name. */
  id: string;
  title: string;
  /** The "what am I looking at" text. */
  explain: ReactNode;
  /** Formula numbers or sections of algorithms.md this chart draws. */
  formulas?: string[];
  /** Series names and colours: an HTML legend here, drawn into exported files too. */
  legend?: LegendItem[];
  /** Controls above the chart (pickers). */
  controls?: ReactNode;
  /** Text under the chart (a caption with numbers). */
  caption?: ReactNode;
  /** With no data: the empty state replaces the chart and export is off. */
  empty?: ReactNode;
  children?: ReactNode;
  className?: string;
}

/**
 * One chart panel: title, explanation, optional controls, the chart, a legend, and export to
 * SVG and PNG of exactly what is drawn.
 */
export function ChartFrame({ id, title, explain, formulas, legend, controls, caption, empty, children, className }: ChartFrameProps) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const headingId = useId();
  const [error, setError] = useState<string | null>(null);
  const run = (format: 'svg' | 'png') => {
    setError(null);
    if (!bodyRef.current) return;
    exportChart(bodyRef.current, format, id, { title, legend }).catch((e: Error) => setError(e.message));
  };
  return (
    <section className={`chart-frame ${className ?? ''}`} aria-labelledby={headingId} data-testid={`chart-${id}`}>
      <div className="chart-head">
        <h3 id={headingId}>{title}</h3>
        {!empty && (
          <div className="chart-export" role="group" aria-label={`Export ${title}`}>
            <button type="button" className="small" onClick={() => run('svg')} data-testid={`export-svg-${id}`}>
              SVG
            </button>
            <button type="button" className="small" onClick={() => run('png')} data-testid={`export-png-${id}`}>
              PNG
            </button>
          </div>
        )}
      </div>
      <Explain formulas={formulas}>{explain}</Explain>
      {controls && <div className="chart-controls">{controls}</div>}
      {empty ? (
        <div className="empty-state">{empty}</div>
      ) : (
        <>
          <div className="chart-body" ref={bodyRef}>
            {children}
          </div>
          {legend && legend.length > 0 && (
            <ul className="legend" aria-label="Legend">
              {legend.map((l) => (
                <li key={l.name}>
                  <span className={`swatch ${l.dashed ? 'dashed' : ''}`} style={{ borderColor: l.color }} aria-hidden="true" />
                  {l.name}
                </li>
              ))}
            </ul>
          )}
          {caption && <div className="chart-caption">{caption}</div>}
        </>
      )}
      {error && (
        <p role="alert" className="error">
          Export failed: {error}
        </p>
      )}
    </section>
  );
}
