import type { ReactNode } from 'react';
import type { ModelKind } from '../../core/model/config';
import { CheckboxField, NumberField, SelectField, TextField } from '../controls';
import { fmtInt, fmtSI } from '../format';
import { nameForShape, tokenizerVocabSize, type ModelDesign, type ModelShape, type TokenizerDesign } from '../config/runConfig';
import type { ModelStats } from './modelStats';

export const KIND_LABEL: Record<ModelKind, string> = {
  de: 'DE (dual encoder)',
  cb: 'ColBERT (late interaction)',
  ce: 'CE (cross encoder)',
};

const KIND_HINT: Record<ModelKind, string> = {
  de: 'Query and passage encoded apart; score = dot product of their [CLS] vectors.',
  cb: 'Encoded apart; score = sum over query tokens of the best dot product in the passage (MaxSim).',
  ce: 'Query and passage read together; score = a linear head on [CLS]. Most accurate, slowest.',
};

export interface ModelDesignerProps {
  design: ModelDesign;
  onChange: (d: ModelDesign) => void;
  /** 'teacher' or 'student': the student may use the hashed-word tokenizer. */
  role: 'teacher' | 'student';
  /** Field path prefix of this design in the run config, e.g. "teachers[0]" or "student". */
  path: string;
  /** Validation errors of the run config, by field path. */
  errors: Record<string, string>;
  stats: ModelStats | null;
  /** FLOPs line for the distillation steps (frozen x1, or x3 under joint training). */
  distillFlops?: { flops: number; updated: boolean } | null;
  heading: ReactNode;
  actions?: ReactNode;
  testId?: string;
  /** The student's initial weights picker (shown above the shape). */
  init?: ReactNode;
  /**
   * Set when the student is cut from another model: what it takes from it (one line). Its
   * sizes, positions, shared encoders and tokenizer are then that model's and not edited here.
   */
  inherited?: ReactNode;
}

/** The fields a student cut from another model takes from it (model/initFrom.ts studentConfigFrom). */
const INHERITED_FIELDS: readonly string[] = ['layers', 'hidden', 'heads', 'ffn', 'maxPositions'];

type NumKey = 'layers' | 'hidden' | 'heads' | 'ffn' | 'maxQueryLen' | 'maxPassageLen' | 'maxPositions' | 'maxPairLen' | 'colbertDim';

const NUM_FIELDS: { key: NumKey; label: string; hint: string; kinds?: ModelKind[]; optional?: boolean }[] = [
  { key: 'layers', label: 'Layers L', hint: 'Transformer blocks; each exposes its hidden states to LEAD.' },
  { key: 'hidden', label: 'Hidden size H', hint: 'Width of every token vector; must be divisible by the heads.' },
  { key: 'heads', label: 'Attention heads', hint: 'H / heads is each head’s width.' },
  { key: 'ffn', label: 'Feed-forward size F', hint: 'Inner width of each block’s GELU MLP (BERT: 4 H).' },
  { key: 'maxQueryLen', label: 'Max query length', hint: 'Tokens, [CLS] and [SEP] included.' },
  { key: 'maxPassageLen', label: 'Max passage length', hint: 'Tokens, [CLS] and [SEP] included.' },
  { key: 'maxPairLen', label: 'Max pair length', hint: '[CLS] q [SEP] p [SEP]; empty: query + passage length.', kinds: ['ce'], optional: true },
  { key: 'maxPositions', label: 'Position embeddings', hint: 'The longest sequence the model can read (default 512).', optional: true },
  { key: 'colbertDim', label: 'ColBERT projection', hint: 'Size of the projected token vectors; empty: no projection.', kinds: ['cb'], optional: true },
];

/** One model's shape and tokenizer, with its parameter and FLOP counts live and errors inline. */
export function ModelDesigner({ design, onChange, role, path, errors, stats, distillFlops, heading, actions, testId, init, inherited }: ModelDesignerProps) {
  const shape = design.shape;
  const err = (field: string) => errors[`${path}.shape.${field}`] ?? null;
  const setShape = (patch: Partial<ModelShape>) => {
    const next = { ...shape, ...patch } as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) if (v === null || v === undefined) delete next[k];
    onChange({ ...design, name: nameForShape(design.name, next as ModelShape), shape: next as ModelShape });
  };
  const setKind = (kind: ModelKind) => {
    const next = { ...shape, kind } as Record<string, unknown>;
    // Fields that apply to one kind only would fail validation on another.
    if (kind !== 'ce') {
      delete next.maxPairLen;
      delete next.cePooler;
    }
    if (kind !== 'cb') delete next.colbertDim;
    if (kind === 'ce') delete next.shareEncoders;
    onChange({ ...design, name: nameForShape(design.name, next as ModelShape), shape: next as ModelShape });
  };
  const tok = design.tokenizer;
  const setTok = (t: TokenizerDesign) => onChange({ ...design, tokenizer: t });
  const tokErr = (field: string) => errors[`${path}.tokenizer.${field}`] ?? null;
  const tokOptions = [
    { value: 'wordpiece', label: 'WordPiece' },
    ...(role === 'student' || tok.kind === 'hashed-word' ? [{ value: 'hashed-word', label: 'Hashed words' }] : []),
    ...(tok.kind === 'pretrained' ? [{ value: 'pretrained', label: 'Imported vocabulary' }] : []),
  ];
  const rootErr = errors[`${path}.shape`] ?? errors[path] ?? null;
  return (
    <fieldset className="designer" data-testid={testId}>
      <legend>{heading}</legend>
      {actions && <div className="designer-actions">{actions}</div>}
      {init}
      {inherited && (
        <p className="fine" data-testid={testId && `${testId}-inherited`}>
          {inherited}
        </p>
      )}
      <div className="field-grid">
        <TextField label="Name" value={design.name} onChange={(name) => onChange({ ...design, name })} error={errors[`${path}.name`]} testId={testId && `${testId}-name`} hint="Follows the shape until you name it." />
        <SelectField label="Kind" value={shape.kind} onChange={setKind} options={(['de', 'cb', 'ce'] as const).map((k) => ({ value: k, label: KIND_LABEL[k] }))} hint={KIND_HINT[shape.kind]} error={err('kind')} testId={testId && `${testId}-kind`} />
        {NUM_FIELDS.filter((f) => (!f.kinds || f.kinds.includes(shape.kind)) && !(inherited && INHERITED_FIELDS.includes(f.key))).map((f) => (
          <NumberField
            key={f.key}
            label={f.label}
            hint={f.hint}
            value={(shape[f.key] as number | undefined) ?? null}
            allowEmpty={f.optional}
            onChange={(v) => setShape({ [f.key]: v ?? undefined })}
            error={err(f.key)}
            testId={testId && `${testId}-${f.key}`}
          />
        ))}
        {shape.kind !== 'ce' && !inherited && (
          <CheckboxField
            label="One encoder for queries and passages"
            checked={shape.shareEncoders ?? true}
            onChange={(v) => setShape({ shareEncoders: v })}
            hint="Off: a second encoder for passages (twice the parameters)."
            error={err('shareEncoders')}
          />
        )}
      </div>
      {!inherited && <div className="field-grid tokenizer-fields">
        <SelectField
          label="Tokenizer"
          value={tok.kind}
          onChange={(k) => {
            if (k === 'wordpiece') setTok({ kind: 'wordpiece', vocabSize: tokenizerVocabSize(tok) });
            else if (k === 'hashed-word') setTok({ kind: 'hashed-word', words: Math.max(0, tokenizerVocabSize(tok) - 5 - 1000), buckets: 1000 });
          }}
          options={tokOptions}
          hint={
            tok.kind === 'hashed-word'
              ? 'Frequent words get their own id, the rest share hash buckets: a student that shares no vocabulary with its teacher.'
              : tok.kind === 'wordpiece'
                ? 'Sub-word units learned from the corpus at the chosen vocabulary size (BERT’s scheme).'
                : tok.kind === 'pretrained'
                  ? `The vocabulary that came with the imported checkpoint (${tok.source}).`
                  : ''
          }
          error={tokErr('kind')}
          testId={testId && `${testId}-tokenizer`}
        />
        {tok.kind === 'wordpiece' && (
          <NumberField label="Vocabulary size" value={tok.vocabSize} onChange={(v) => setTok({ ...tok, vocabSize: v ?? NaN })} error={tokErr('vocabSize')} hint="Including the 5 special tokens." />
        )}
        {tok.kind === 'hashed-word' && (
          <>
            <NumberField label="Words with their own id" value={tok.words} onChange={(v) => setTok({ ...tok, words: v ?? NaN })} error={tokErr('words')} />
            <NumberField label="Hash buckets" value={tok.buckets} onChange={(v) => setTok({ ...tok, buckets: v ?? NaN })} error={tokErr('buckets')} />
          </>
        )}
      </div>}
      {rootErr && <p className="field-error">{rootErr}</p>}
      <ModelStatsLine stats={stats} distillFlops={distillFlops} vocab={stats?.config.vocabSize ?? tokenizerVocabSize(tok)} testId={testId} />
    </fieldset>
  );
}

function ModelStatsLine({ stats, distillFlops, vocab, testId }: { stats: ModelStats | null; distillFlops?: { flops: number; updated: boolean } | null; vocab: number; testId?: string }) {
  if (!stats) return <p className="stats-line muted">Parameter and FLOP counts appear once the shape is valid.</p>;
  return (
    <dl className="stats-line" data-testid={testId && `${testId}-stats`}>
      <div>
        <dt>Parameters</dt>
        <dd data-testid={testId && `${testId}-params`} title={fmtInt(stats.params)}>
          {fmtSI(stats.params)}
        </dd>
      </div>
      <div>
        <dt>Vocabulary</dt>
        <dd>{fmtInt(Number.isFinite(vocab) ? vocab : NaN)}</dd>
      </div>
      <div>
        <dt>Tokens per step</dt>
        <dd>{fmtInt(stats.tokens)}</dd>
      </div>
      <div>
        <dt>FLOPs per training step</dt>
        <dd data-testid={testId && `${testId}-flops`} title={`${fmtInt(stats.trainFlops)} FLOPs (forward × 3)`}>
          {fmtSI(stats.trainFlops, 'FLOP')}
        </dd>
      </div>
      {distillFlops && (
        <div>
          <dt>During distillation</dt>
          <dd title={`${fmtInt(distillFlops.flops)} FLOPs`}>
            {fmtSI(distillFlops.flops, 'FLOP')} ({distillFlops.updated ? 'joint: still learning, × 3' : 'frozen: forward only, × 1'})
          </dd>
        </div>
      )}
    </dl>
  );
}
