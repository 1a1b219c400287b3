import { CheckboxField, NumberField, SelectField } from '../controls';
import type { Knob } from './knobs';

function showDefault(v: unknown, emptyLabel?: string): string {
  if (v === null || v === undefined) return emptyLabel ?? 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

/** One knob: its control, its one-line help, its default, and its validation error. */
export function KnobField({
  knob, value, defaultValue, help, error, onChange, testId,
}: {
  knob: Knob;
  value: unknown;
  defaultValue: unknown;
  help: string;
  error: string | null;
  onChange: (v: unknown) => void;
  testId?: string;
}) {
  const changed = JSON.stringify(value) !== JSON.stringify(defaultValue);
  const hint = (
    <>
      {help} <span className={`default ${changed ? 'changed' : ''}`}>Default: {showDefault(defaultValue, knob.emptyLabel)}{changed ? ' (changed)' : ''}.</span>
    </>
  );
  const className = `knob ${changed ? 'knob-changed' : ''}`;
  switch (knob.type) {
    case 'boolean':
      return <CheckboxField label={knob.label} checked={Boolean(value)} onChange={onChange} hint={hint} error={error} testId={testId} className={className} />;
    case 'select':
      return <SelectField label={knob.label} value={String(value)} options={knob.options ?? []} onChange={onChange} hint={hint} error={error} testId={testId} className={className} />;
    case 'nullableNumber':
      return <NumberField label={knob.label} value={value as number | null} allowEmpty placeholder={knob.emptyLabel} onChange={onChange} hint={hint} error={error} testId={testId} className={className} />;
    default:
      return <NumberField label={knob.label} value={value as number} onChange={(v) => onChange(v ?? NaN)} hint={hint} error={error} testId={testId} className={className} />;
  }
}
