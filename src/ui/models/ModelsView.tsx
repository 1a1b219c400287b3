import { useMemo } from 'react';
import { smallerTeachers } from '../config/warnings';
import { Explain } from '../Explain';
import { fmtSI } from '../format';
import { defaultStudent, effectiveStudent, initLayers, runConfigErrors, shapeTag, type ModelDesign, type RunConfig } from '../config/runConfig';
import { LAB_DROPOUT } from '../../core/distill/experiment';
import type { ModelSummary } from '../../worker/protocol';
import { CheckpointPicker, type HfCheckpointFiles, type ImportState } from './CheckpointPicker';
import { HubImport } from './HubImport';
import { ModelLibrary, type ModelLibraryProps } from './ModelLibrary';
import { KIND_LABEL, ModelDesigner } from './ModelDesigner';
import { modelStats, teacherUpdatedDuringDistillation } from './modelStats';
import { StudentInitPicker } from './StudentInit';

export interface ModelsViewProps {
  config: RunConfig;
  onChange: (c: RunConfig) => void;
  /** Files of a Hugging Face checkpoint to import as a teacher (the import runs in a worker). */
  onImportCheckpoint?: (files: HfCheckpointFiles) => void;
  importStatus?: ImportState;
  /** The model library: imported checkpoints and trained models, to evaluate or teach with. */
  library?: Omit<ModelLibraryProps, 'onUseAsTeacher'>;
}

/** A stored model as the first teacher: its own architecture and tokenizer, loaded when the run starts. */
export function teacherFromModel(m: ModelSummary): ModelDesign {
  const i = m.info;
  return {
    name: m.name,
    shape: {
      kind: i.kind as ModelDesign['shape']['kind'],
      layers: i.layers,
      hidden: i.hidden,
      heads: i.heads,
      ffn: i.ffn,
      maxQueryLen: i.maxQueryLen,
      maxPassageLen: i.maxPassageLen,
      maxPositions: i.maxPositions,
      dropout: { ...LAB_DROPOUT },
    },
    tokenizer: { kind: 'pretrained', vocabSize: i.vocabSize, source: m.id },
  };
}

/** A small cross-encoder, the usual second link of a PROD chain (DE -> CE small -> CE big). */
function crossEncoderTeacher(n: number): ModelDesign {
  return {
    name: `teacher ${n} (CE 4 x 128)`,
    shape: { kind: 'ce', layers: 4, hidden: 128, heads: 4, ffn: 512, maxQueryLen: 16, maxPassageLen: 64, maxPositions: 128 },
    tokenizer: { kind: 'wordpiece', vocabSize: 8000 },
  };
}

/** Teacher(s) and student: shape, tokenizer, parameter and FLOP counts, checkpoint import. */
export function ModelsView({ config, onChange, onImportCheckpoint, importStatus, library }: ModelsViewProps) {
  const errors = useMemo(() => runConfigErrors(config), [config]);
  const joint = teacherUpdatedDuringDistillation(config.recipe);
  const teacherStats = config.teachers.map((t) => modelStats(t, config.train));
  // A student cut from teacher 1 or a stored model is that model's architecture with the chosen blocks.
  const student = effectiveStudent(config, library?.models ?? []);
  const studentStats = student ? modelStats(student, config.train) : null;
  const init = config.student.init && config.student.init.from !== 'random' ? config.student.init : undefined;
  const inherited = init
    ? student
      ? `${shapeTag(student.shape)} (${student.shape.heads} heads, FFN ${student.shape.ffn}): blocks ${initLayers(init, (init.from === 'teacher' ? config.teachers[0]?.shape.layers : library?.models.find((m) => m.id === init.id)?.info.layers) ?? 0).join(', ')} of ${init.from === 'teacher' ? 'teacher 1' : init.id}, with its embeddings, width and tokenizer; this student’s own sizes and tokenizer are not used.`
      : `Cut from ${init.from === 'teacher' ? 'teacher 1' : init.id}: its sizes and tokenizer (shown once that model is valid and in the library).`
    : null;
  const setTeacher = (i: number, d: ModelDesign) => onChange({ ...config, teachers: config.teachers.map((t, j) => (j === i ? d : t)) });
  const removeTeacher = (i: number) => {
    const teachers = config.teachers.filter((_, j) => j !== i);
    // PROD stages index teachers: drop the removed one's stages, shift the later ones down.
    const recipe =
      config.recipe.kind === 'prod'
        ? { ...config.recipe, stages: config.recipe.stages.filter((s) => s.teacher !== i).map((s) => ({ ...s, teacher: s.teacher > i ? s.teacher - 1 : s.teacher })) }
        : config.recipe;
    onChange({ ...config, teachers, recipe });
  };
  // A student with more parameters than a teacher it learns from: valid, rarely what was meant.
  const larger = smallerTeachers(config.teachers.map((t, i) => ({ name: t.name, params: teacherStats[i]?.params ?? null })), studentStats?.params ?? null);
  const all = [...config.teachers.map((t, i) => ({ d: t, s: teacherStats[i], role: `teacher ${i + 1}` })), { d: student ?? config.student, s: studentStats, role: 'student' }];
  return (
    <div className="models-view" data-testid="models-view">
      <section className="panel" aria-labelledby="models-title">
        <h2 id="models-title">Models</h2>
        <Explain formulas={['1', '2']}>
          Every model here is a BERT-style encoder: token and position embeddings, then L blocks of multi-head self-attention and
          a feed-forward network. A dual encoder (DE) encodes queries and passages apart and scores with the dot product of their
          [CLS] vectors; ColBERT keeps every token vector and sums, over query tokens, the best match in the passage (MaxSim); a
          cross encoder (CE) reads query and passage together and is the most accurate but must score every pair. Teacher and
          student need share nothing, not even the tokenizer: only their scores over the same pairs meet in the losses. FLOPs per
          step follow benchmark.md: L · (T · (8H² + 4HF) + 4 · T_seq · T · H) per forward pass over T tokens, × 3 for a model being
          trained (forward and backward), × 1 for a frozen teacher; embeddings count zero.
        </Explain>
        <table className="data-table" data-testid="models-summary">
          <caption>
            Models of this run (batch of {config.train.batchSize} queries × {1 + config.train.negatives} passages)
          </caption>
          <thead>
            <tr>
              <th scope="col">role</th>
              <th scope="col">name</th>
              <th scope="col">kind</th>
              <th scope="col">L × H (heads, FFN)</th>
              <th scope="col">parameters</th>
              <th scope="col">FLOPs / training step</th>
            </tr>
          </thead>
          <tbody>
            {all.map(({ d, s, role }) => (
              <tr key={role}>
                <th scope="row">{role}</th>
                <td>{d.name}</td>
                <td>{KIND_LABEL[d.shape.kind] ?? d.shape.kind}</td>
                <td>
                  {d.shape.layers} × {d.shape.hidden} ({d.shape.heads}, {d.shape.ffn})
                </td>
                <td>{s ? fmtSI(s.params) : 'invalid'}</td>
                <td>{s ? fmtSI(s.trainFlops, 'FLOP') : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {larger.length > 0 && studentStats && (
          <p role="note" className="warning" data-testid="warn-student-larger">
            The student ({config.student.name}, {fmtSI(studentStats.params)} parameters) is larger than its teacher
            {larger.length === 1 ? '' : 's'} {larger.map((t) => `${t.name} (${fmtSI(t.params)})`).join(', ')}. Distillation usually
            compresses a large teacher into a small student; a teacher smaller than its student has less to teach it.
          </p>
        )}
      </section>

      <section className="panel" aria-labelledby="teachers-title">
        <h2 id="teachers-title">Teacher{config.teachers.length === 1 ? '' : 's'}</h2>
        <p className="fine">
          LEAD and response KD distil the first teacher. PROD distils them in order of its stages, weakest first (e.g. DE → small CE →
          big CE).
        </p>
        {errors.teachers && <p className="field-error">{errors.teachers}</p>}
        {config.teachers.map((t, i) => (
          <ModelDesigner
            key={i}
            design={t}
            onChange={(d) => setTeacher(i, d)}
            role="teacher"
            path={`teachers[${i}]`}
            errors={errors}
            stats={teacherStats[i]}
            distillFlops={teacherStats[i] ? { flops: joint ? teacherStats[i]!.trainFlops : teacherStats[i]!.frozenFlops, updated: joint } : null}
            heading={`Teacher ${i + 1}`}
            testId={`teacher-${i}`}
            actions={
              <button type="button" className="small" onClick={() => removeTeacher(i)} disabled={config.teachers.length === 1 && config.recipe.kind !== 'baseline'} aria-label={`Remove teacher ${i + 1}`}>
                Remove
              </button>
            }
          />
        ))}
        <div className="button-row">
          <button type="button" onClick={() => onChange({ ...config, teachers: [...config.teachers, crossEncoderTeacher(config.teachers.length + 1)] })} data-testid="add-teacher">
            Add a teacher
          </button>
        </div>
        <h3>Import a pretrained teacher</h3>
        <CheckpointPicker onImport={onImportCheckpoint} status={importStatus} />
        {onImportCheckpoint && <HubImport onImported={() => void library?.onRefresh?.()} />}
      </section>

      <section className="panel" aria-labelledby="library-title">
        <h2 id="library-title">Model library</h2>
        <Explain formulas={['6']}>
          Every model the lab holds: the teachers it ships, one trained on each built-in world (a ready teacher: pick the
          built-in world’s corpus and distil from it without training one), Hugging Face checkpoints imported above (a student exported from the Export tab comes back
          here with its own tokenizer, hashed words included, described in its config.json) and the teachers and students
          trained in runs. Evaluate ranks a corpus’s test queries exactly as a run does (a DE searches every passage; a CE or
          ColBERT re-ranks BM25’s top 30) and reports MRR@10, nDCG@10 and Recall@100. “Use as teacher 1” makes a model the first
          teacher of the next run, used with its own weights and tokenizer and not trained again.
        </Explain>
        <ModelLibrary
          models={library?.models ?? []}
          corpora={library?.corpora ?? []}
          listError={library?.listError}
          onEvaluate={library?.onEvaluate}
          onDelete={library?.onDelete}
          onRefresh={library?.onRefresh}
          onUseAsTeacher={(m) => onChange({ ...config, teachers: [teacherFromModel(m), ...config.teachers.slice(1)] })}
        />
      </section>

      <section className="panel" aria-labelledby="student-title">
        <h2 id="student-title">Student</h2>
        <ModelDesigner
          design={config.student}
          onChange={(student) => onChange({ ...config, student })}
          role="student"
          path="student"
          errors={errors}
          stats={studentStats}
          heading="Student"
          testId="student"
          inherited={inherited}
          init={
            <StudentInitPicker
              init={config.student.init}
              onChange={(i) => {
                const { init: _old, ...rest } = config.student;
                onChange({ ...config, student: i ? { ...rest, init: i } : rest });
              }}
              teacher={config.teachers[0]}
              models={library?.models ?? []}
              errors={errors}
            />
          }
          actions={
            <button type="button" className="small" onClick={() => onChange({ ...config, student: defaultStudent() })}>
              Reset to the default student
            </button>
          }
        />
      </section>
    </div>
  );
}
