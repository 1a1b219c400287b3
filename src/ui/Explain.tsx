import type { ReactNode } from 'react';

/**
 * "What am I looking at": a collapsible explanation attached to every panel. `formulas` names
 * the numbered formulas or sections of algorithms.md that the view draws, e.g. ['3.4', '4'].
 */
export function Explain({
  children,
  title = 'What am I looking at?',
  formulas,
  open,
}: {
  children: ReactNode;
  title?: string;
  formulas?: string[];
  open?: boolean;
}) {
  return (
    <details className="explain" open={open}>
      <summary>{title}</summary>
      <div className="explain-body">
        {children}
        {formulas && formulas.length > 0 && (
          <p className="formula-ref">
            Reference: {formulas.map((f) => (/^\d+\.\d+$/.test(f) ? `formula (${f})` : `section ${f}`)).join(', ')} of
            algorithms.md.
          </p>
        )}
      </div>
    </details>
  );
}
