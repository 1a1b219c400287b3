// The student's initial weights on the Models tab: random, cut from teacher 1's blocks
// (DistilBERT: every other one by default) or from a stored model's, with a block picker.
import type { StudentInit } from '../../core/distill/experiment';
import type { ModelSummary } from '../../worker/protocol';
import { CheckboxField, SelectField } from '../controls';
import { initLayers, type ModelDesign } from '../config/runConfig';

/** Block checkboxes are drawn for models of at most this many blocks. */
const MAX_PICKER_BLOCKS = 48;

export interface StudentInitPickerProps {
  init: StudentInit | undefined;
  onChange: (init: StudentInit | undefined) => void;
  teacher: ModelDesign | undefined;
  /** Stored models (the library): the student may be cut from any DE or ColBERT one. */
  models: readonly ModelSummary[];
  errors: Record<string, string>;
}

export function StudentInitPicker({ init, onChange, teacher, models, errors }: StudentInitPickerProps) {
  const from = init?.from ?? 'random';
  const usable = models.filter((m) => m.info.kind !== 'ce');
  const source = init?.from === 'checkpoint' ? models.find((m) => m.id === init.id) : undefined;
  const depth = init?.from === 'teacher' ? teacher?.shape.layers : source?.info.layers;
  const chosen = init && init.from !== 'random' && Number.isInteger(depth) ? initLayers(init, depth as number) : [];
  const setLayers = (layers: number[]) => {
    if (init?.from === 'teacher') onChange({ from: 'teacher', layers });
    else if (init?.from === 'checkpoint') onChange({ from: 'checkpoint', id: init.id, layers });
  };
  const err = errors['student.init.layers'] ?? errors['student.init.id'] ?? errors['student.init'] ?? null;
  return (
    <div className="field-grid student-init" data-testid="student-init">
      <SelectField
        label="Initial weights"
        value={from}
        onChange={(v) => {
          if (v === 'random') onChange(undefined);
          else if (v === 'teacher') onChange({ from: 'teacher' });
          else if (usable[0]) onChange({ from: 'checkpoint', id: usable[0].id });
        }}
        options={[
          { value: 'random', label: 'Random (seeded)' },
          { value: 'teacher', label: 'Teacher 1’s layers (DistilBERT)' },
          ...(usable.length > 0 || from === 'checkpoint' ? [{ value: 'checkpoint' as const, label: 'A stored model’s layers' }] : []),
        ]}
        hint={
          from === 'random'
            ? 'Every recipe’s student starts from the same seeded random weights.'
            : 'The embeddings, the chosen blocks and the heads are copied; the student takes that model’s width, heads, FFN and tokenizer, and keeps its kind, lengths and dropout. Every recipe starts from these weights.'
        }
        error={errors['student.init.from'] ?? null}
        testId="student-init-from"
      />
      {init?.from === 'checkpoint' && (
        <SelectField
          label="Stored model"
          value={init.id}
          onChange={(id) => onChange({ from: 'checkpoint', id })}
          options={[
            ...(source ? [] : [{ value: init.id, label: `${init.id} (not in the library)` }]),
            ...usable.map((m) => ({ value: m.id, label: `${m.name} (${m.info.kind.toUpperCase()} ${m.info.layers} x ${m.info.hidden})` })),
          ]}
          hint="Imported checkpoints and the models of earlier runs (DE or ColBERT)."
          testId="student-init-model"
        />
      )}
      {init && init.from !== 'random' && Number.isInteger(depth) && (depth as number) <= MAX_PICKER_BLOCKS && (
        <fieldset className="layer-picker" data-testid="student-init-layers">
          <legend>
            Blocks of {init.from === 'teacher' ? 'teacher 1' : (source?.name ?? 'the model')} ({chosen.length} of {depth})
          </legend>
          {Array.from({ length: depth as number }, (_, l) => (
            <CheckboxField
              key={l}
              label={`block ${l}`}
              checked={chosen.includes(l)}
              onChange={(on) => setLayers(on ? [...chosen, l].sort((a, b) => a - b) : chosen.filter((x) => x !== l))}
              testId={`student-init-layer-${l}`}
            />
          ))}
        </fieldset>
      )}
      {err && <p className="field-error" data-testid="student-init-error">{err}</p>}
    </div>
  );
}
