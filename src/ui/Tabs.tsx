import { useRef, type KeyboardEvent } from 'react';

export interface TabDef<T extends string> {
  id: T;
  label: string;
  /** A short note after the label (e.g. "live", a count). */
  badge?: string;
}

export const tabId = (id: string) => `tab-${id}`;
export const panelId = (id: string) => `panel-${id}`;

/**
 * WAI-ARIA tabs: one tab stop (the selected tab); Left/Right move and select, Home/End jump
 * to the first/last tab. Panels carry role="tabpanel" and aria-labelledby (see LabShell).
 */
export function Tabs<T extends string>({ tabs, active, onSelect, label }: { tabs: readonly TabDef<T>[]; active: T; onSelect: (id: T) => void; label: string }) {
  const refs = useRef(new Map<T, HTMLButtonElement>());
  const go = (i: number) => {
    const t = tabs[(i + tabs.length) % tabs.length];
    onSelect(t.id);
    refs.current.get(t.id)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const moves: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      go(moves[e.key]);
    }
  };
  return (
    <div role="tablist" aria-label={label} className="tabs" data-testid="tabs">
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            if (el) refs.current.set(t.id, el);
            else refs.current.delete(t.id);
          }}
          type="button"
          role="tab"
          id={tabId(t.id)}
          aria-selected={t.id === active}
          aria-controls={panelId(t.id)}
          tabIndex={t.id === active ? 0 : -1}
          onClick={() => onSelect(t.id)}
          onKeyDown={(e) => onKeyDown(e, i)}
          className="tab"
          data-testid={`tab-${t.id}`}
        >
          {t.label}
          {t.badge && <span className="tab-badge">{t.badge}</span>}
        </button>
      ))}
    </div>
  );
}
