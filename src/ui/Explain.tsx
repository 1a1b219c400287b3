import type { ReactNode } from 'react';

/** "What am I looking at": a collapsible explanation attached to every panel. */
export function Explain({ children, title = 'What am I looking at?' }: { children: ReactNode; title?: string }) {
  return (
    <details className="explain">
      <summary>{title}</summary>
      <div className="explain-body">{children}</div>
    </details>
  );
}
