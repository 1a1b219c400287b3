// Small labelled form controls shared by the views: every input has a <label>, a hint and an
// inline error wired through aria-describedby / aria-invalid.
import { useEffect, useId, useState, type ReactNode } from 'react';

interface FieldShell {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  testId?: string;
  className?: string;
}

function describedBy(hintId: string, errId: string, hint: unknown, error: unknown): string | undefined {
  return [hint ? hintId : '', error ? errId : ''].filter(Boolean).join(' ') || undefined;
}

function Messages({ hintId, errId, hint, error }: { hintId: string; errId: string; hint?: ReactNode; error?: string | null }) {
  return (
    <>
      {hint && (
        <span className="field-hint" id={hintId}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={errId}>
          {error}
        </span>
      )}
    </>
  );
}

export interface SelectOption<T extends string> {
  value: T;
  label: string;
}

export function SelectField<T extends string>({
  label, value, options, onChange, hint, error, testId, className, disabled,
}: FieldShell & { value: T; options: readonly SelectOption<T>[]; onChange: (v: T) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value as T)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(`${id}-h`, `${id}-e`, hint, error)}
        data-testid={testId}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Messages hintId={`${id}-h`} errId={`${id}-e`} hint={hint} error={error} />
    </div>
  );
}

/** Parses what a user typed into a number field: "" -> null, junk -> NaN. */
export function parseNumberText(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  return Number(t);
}

/**
 * A number typed as text, so that "1e-4" and half-typed values survive; the parent receives
 * the parsed number (NaN for junk, null for empty when `allowEmpty`) and validates it.
 */
export function NumberField({
  label, value, onChange, hint, error, testId, className, allowEmpty, placeholder,
}: FieldShell & {
  value: number | null;
  onChange: (v: number | null) => void;
  allowEmpty?: boolean;
  placeholder?: string;
}) {
  const id = useId();
  const [text, setText] = useState(value === null ? '' : String(value));
  // Follow outside changes (a loaded config) unless they are what the text already says.
  useEffect(() => {
    const parsed = parseNumberText(text);
    const same = parsed === value || (parsed !== null && value !== null && Number.isNaN(parsed) && Number.isNaN(value));
    if (!same) setText(value === null ? '' : String(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const localError = !allowEmpty && text.trim() === '' ? 'needs a value' : Number.isNaN(Number(text.trim())) ? 'is not a number' : null;
  const shown = localError ?? error;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        value={text}
        placeholder={placeholder}
        onChange={(e) => {
          setText(e.target.value);
          const v = parseNumberText(e.target.value);
          onChange(v === null ? (allowEmpty ? null : NaN) : v);
        }}
        aria-invalid={shown ? true : undefined}
        aria-describedby={describedBy(`${id}-h`, `${id}-e`, hint, shown)}
        data-testid={testId}
      />
      <Messages hintId={`${id}-h`} errId={`${id}-e`} hint={hint} error={shown} />
    </div>
  );
}

export function CheckboxField({
  label, checked, onChange, hint, error, testId, className,
}: FieldShell & { checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div className={`field field-check ${className ?? ''}`}>
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(`${id}-h`, `${id}-e`, hint, error)}
        data-testid={testId}
      />
      <label htmlFor={id}>{label}</label>
      <Messages hintId={`${id}-h`} errId={`${id}-e`} hint={hint} error={error} />
    </div>
  );
}

export function TextField({
  label, value, onChange, hint, error, testId, className,
}: FieldShell & { value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(`${id}-h`, `${id}-e`, hint, error)}
        data-testid={testId}
      />
      <Messages hintId={`${id}-h`} errId={`${id}-e`} hint={hint} error={error} />
    </div>
  );
}
