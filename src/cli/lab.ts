// `npm run lab -- --corpus <world:NAME|beir:DIR|msmarco:DIR> --recipes bm25,baseline,kd,lead,prod
//                 --seeds N --out DIR [sizes, steps, knobs]`
// Runs the same experiment code as the lab page, in Node, and writes DIR/results.json (the
// stable contract below), one TREC run file per run and DIR/results.md. Without --out it
// prints the table. Exit status 1 on any error, with the reason.
//
// results.json: {"corpus", "split", "runs": [{"recipe", "seed", "metrics": {"mrr@10",
// "ndcg@10", "recall@100", ...}, "health": {"events": [...], "recovered", "collapsed",
// "diverged", "stalled"}, ...}], ...}. Health events are also printed as they happen.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCorpus } from './corpus';
import { setupNodeBackend } from './backend';
import { defaultExperiment, runExperiment, type ExperimentConfig, type RunResult } from '../core/distill/experiment';
import { demoExperiment } from '../core/distill/presets';
import { SHIPPED_TEACHERS, shippedTeacherFor } from '../core/model/shipped';
import { defaultRecipe, RECIPE_KINDS, type LayerSelection, type Recipe, type RecipeKind } from '../core/distill/recipes';
import { toTrecRun } from '../core/eval/trec';
import { exportHuggingFace } from '../core/model/hf';
import { formatHealthEvent, rankedIdsToTrec, summarize, resultsMarkdown } from './report';
import { poolDistillation } from '../core/eval/distillSummary';
import { mergeFolders } from './merge';
import type { StepEvent } from '../core/train/events';
import { parityMain } from './parity';
import { embedMain } from './embed';
import { loadModel, pretrainedTeacherSpec } from './modelSource';

const HELP = `Distill Lab command line

  npm run lab -- --corpus world:default --recipes bm25,baseline,kd,lead,prod --seeds 3 --out out/world

Options
  --corpus SPEC         world:NAME[:SEED] (easy, default, hard), beir:DIR, msmarco:DIR, csv:DIR
  --recipes LIST        comma list of bm25, teachers, baseline, kd, lead, prod (teachers are always reported;
                        'teachers' trains every teacher of --prod-chain even without a student recipe)
  --seeds N             seeds 1..N (default 1); --seed-list 3,7 for explicit seeds
  --out DIR             write results.json, results.md and TREC runs there (else print the table)
  --split test|dev      split to report (default test)
  --teacher-steps N     contrastive steps of each teacher (default 1000)
  --student-steps N     steps of each student recipe and PROD stage (default 1000)
  --dp-steps N          steps of PROD's data-progressive stage (default 100)
  --batch N             queries per batch B (default 64)
  --negatives N         hard negatives per query n (default 0: in-batch negatives only; a CE teacher uses 3)
  --lr X                student learning rate (default 1e-3); --teacher-lr X (default 1e-3)
  --dropout X           dropout of every model, hidden and attention (default 0: tiny models from scratch)
  --student-layers N --student-hidden N --student-heads N --student-ffn N
  --teacher-layers N --teacher-hidden N --teacher-heads N --teacher-ffn N
  --vocab N             vocabulary size of both tokenizers (default: teacher 30000, student 20000, at most)
  --passage-len N       max passage tokens (default 96); --query-len N (default 24)
  --prod-chain LIST     PROD teacher chain, e.g. de,ce (default) or de
  --lead-k N --lead-selection random|last|skip --lead-reweight on|off --lead-joint on|off --lead-tau X
  --kd-form lead|prod --temperature X
  --self-supervised auto|always|never   self-supervised pairs from the documents (inverse cloze, title,
                        crops): auto = only without training qrels (default); always = added to them
  --pairs-per-doc N     self-supervised pairs per document (default 1)
  --span-prob X         share of batch items that are fresh inverse-cloze span pairs when the corpus has
                        judged training queries (default 0.7 below 1,000 judged training queries, 0 from 1,000; 1 without any; 0 with --self-supervised never)
  --pooling cls|mean|max --similarity dot|cosine --score-temperature X
                        how DE models score (default mean, cosine, 0.05)
  --teacher-tokenizer wordpiece|hashed-word --student-tokenizer ...  (defaults: hashed-word for both)
  --teacher-vocab N --student-vocab N   vocabulary sizes (override --vocab)
  --warmup X            fraction of steps spent warming up (default 0.1)
  --demo quick|small    run the page's one-click demo (core/distill/presets.ts) on world:default, or with
                        --corpus on another corpus with a shipped teacher (world:hard, beir:test/data/scifact:
                        core/model/shipped.ts), distilling that teacher; of the other flags only --seeds,
                        --seed-list, --out, --backend, --split, --quiet and --student-vocab/--vocab apply, and
                        for ablations --recipes and the recipe flags (--kd-form, --temperature, --lead-*,
                        --prod-lwf on|off, --prod-dp on|off: off gives its steps to the last stage)
  --save-teacher DIR    write each trained teacher as a Hugging Face checkpoint (config.json, vocab.txt,
                        model.safetensors): to DIR, or with a chain of teachers to DIR-<kind> each
                        (DIR-de, DIR-ce); reuse one with --teacher DIR
  --teacher SPEC        a pretrained first teacher, used as it is (not trained): hf:owner/name[@rev] from the
                        Hugging Face Hub (HF_ENDPOINT, HF_TOKEN; cached) or a checkpoint folder
  --student-init SPEC   the students' initial weights, the same for every recipe (also with --demo): random
                        (default); teacher[:0,2] = cut from the first teacher: its embeddings and blocks 0, 2
                        (default every other one, 0, 2, 4, ...: DistilBERT), its width, heads, FFN and tokenizer
                        (--student-layers/-hidden/-heads/-ffn/-tokenizer/-vocab are refused with it);
                        hf:owner/name[@rev][:0,2], builtin:NAME[:0,2] or DIR[:0,2] = cut from that checkpoint
                        (all its blocks unless listed)
  --backend NAME        force a tfjs backend: wasm, cpu, or webgpu (Node WebGPU through the webgpu npm package;
                        a software adapter only when forced). Default: self-checked choice
  --quiet               no progress bar
  --merge DIR,DIR,...   merge result folders (e.g. seeds run in parallel) into --out
  -h, --help

  npm run lab -- parity --help   the training step against a PyTorch twin (tools/parity/twin.py)
  npm run lab -- embed --help    embeddings of a pretrained or exported model (hf:owner/name or a folder)`;

/** A teacher template turned into a model of another kind (DE scoring fields only on a DE). */
function modelOfKind<M extends { kind: string }>(m: M, kind: string): M {
  if (kind === 'de') return { ...m, kind };
  const { pooling: _p, normalize: _n, similarity: _s, scoreTemperature: _t, ...rest } = m as M & Record<string, unknown>;
  return { ...rest, kind } as unknown as M;
}

/** The shipped teachers, public/teachers/<name>/ of this project. */
const SHIPPED_DIR = fileURLToPath(new URL('../../public/teachers/', import.meta.url));

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}

// `npm run lab -- parity ...` has options of its own (src/cli/parity.ts).
const PARITY = process.argv[2] === 'parity';
const EMBED = process.argv[2] === 'embed';
const { values: a } = parseArgs({
  args: PARITY || EMBED ? [] : undefined,
  options: {
    corpus: { type: 'string' },
    recipes: { type: 'string', default: 'bm25,baseline,kd,lead,prod' },
    seeds: { type: 'string', default: '1' },
    'seed-list': { type: 'string' },
    out: { type: 'string' },
    split: { type: 'string', default: 'test' },
    'teacher-steps': { type: 'string' },
    'student-steps': { type: 'string' },
    'dp-steps': { type: 'string' },
    batch: { type: 'string' },
    negatives: { type: 'string' },
    lr: { type: 'string' },
    'teacher-lr': { type: 'string' },
    dropout: { type: 'string' },
    'student-layers': { type: 'string' },
    'student-hidden': { type: 'string' },
    'student-heads': { type: 'string' },
    'student-ffn': { type: 'string' },
    'teacher-layers': { type: 'string' },
    'teacher-hidden': { type: 'string' },
    'teacher-heads': { type: 'string' },
    'teacher-ffn': { type: 'string' },
    vocab: { type: 'string' },
    'passage-len': { type: 'string' },
    'query-len': { type: 'string' },
    'prod-chain': { type: 'string', default: 'de,ce' },
    'lead-k': { type: 'string' },
    'lead-selection': { type: 'string' },
    'lead-reweight': { type: 'string' },
    'lead-joint': { type: 'string' },
    'lead-tau': { type: 'string' },
    'prod-lwf': { type: 'string' },
    'prod-dp': { type: 'string' },
    'kd-form': { type: 'string' },
    temperature: { type: 'string' },
    'self-supervised': { type: 'string' },
    'pairs-per-doc': { type: 'string' },
    'span-prob': { type: 'string' },
    teacher: { type: 'string' },
    'student-init': { type: 'string' },
    'save-teacher': { type: 'string' },
    demo: { type: 'string' },
    pooling: { type: 'string' },
    similarity: { type: 'string' },
    'score-temperature': { type: 'string' },
    'teacher-tokenizer': { type: 'string' },
    'student-tokenizer': { type: 'string' },
    'teacher-vocab': { type: 'string' },
    'student-vocab': { type: 'string' },
    warmup: { type: 'string' },
    backend: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    merge: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
}).valueOf() as { values: Record<string, string | boolean | undefined> };

const num = (name: string): number | undefined => {
  const v = a[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got "${v}"`);
  return n;
};
const onOff = (name: string): boolean | undefined => {
  const v = a[name];
  if (v === undefined) return undefined;
  if (v !== 'on' && v !== 'off') fail(`--${name} must be on or off`);
  return v === 'on';
};

/** A demo recipe with the recipe flags that were given applied (and nothing else changed). */
function ablate(r: Recipe): Recipe {
  if (r.kind === 'kd') {
    return { ...r, ...(a['kd-form'] ? { form: a['kd-form'] === 'prod' ? ('prod' as const) : ('lead' as const) } : {}), temperature: num('temperature') ?? r.temperature };
  }
  if (r.kind === 'lead') {
    return {
      ...r,
      k: num('lead-k') ?? r.k,
      selection: (a['lead-selection'] as LayerSelection | undefined) ?? r.selection,
      reweight: onOff('lead-reweight') ?? r.reweight,
      joint: onOff('lead-joint') ?? r.joint,
      tau: num('lead-tau') ?? r.tau,
    };
  }
  if (r.kind === 'prod') {
    // Without its data-progressive stage, PROD's last stage takes those steps (the same budget).
    const dropDp = onOff('prod-dp') === false && r.dataProgressive.enabled;
    const stages = dropDp ? r.stages.map((st, i) => (i === r.stages.length - 1 ? { ...st, steps: st.steps + r.dataProgressive.steps } : st)) : r.stages;
    return { ...r, stages, lwf: onOff('prod-lwf') ?? r.lwf, dataProgressive: { ...r.dataProgressive, enabled: r.dataProgressive.enabled && !dropDp } };
  }
  return r;
}

async function main(): Promise<void> {
  if (PARITY) return parityMain(process.argv.slice(3));
  if (EMBED) return embedMain(process.argv.slice(3));
  if (a.help) {
    console.log(HELP);
    return;
  }
  if (typeof a.merge === 'string') {
    if (typeof a.out !== 'string') fail('--merge needs --out DIR');
    process.stdout.write(mergeFolders(a.merge.split(',').map((d) => path.resolve(d.trim())), path.resolve(a.out)));
    return;
  }
  // --demo runs on world:default (the page's built-in world), or on another corpus the lab ships
  // a teacher for (--corpus world:hard, beir:test/data/scifact), distilling that teacher.
  let demoTeacher: string | undefined;
  if (typeof a.demo === 'string') {
    const corpus = typeof a.corpus === 'string' ? a.corpus : 'world:default';
    const t = shippedTeacherFor(corpus);
    if (!t) fail(`--demo runs on a corpus with a shipped teacher (${SHIPPED_TEACHERS.map((x) => x.corpus).join(', ')}), not ${corpus}`);
    demoTeacher = t.name;
    a.corpus = corpus;
  }
  if (typeof a.corpus !== 'string') fail('--corpus is required (e.g. --corpus world:default)\n\n' + HELP);
  const wanted = String(a.recipes).split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of wanted) if (r !== 'bm25' && r !== 'teachers' && !RECIPE_KINDS.includes(r as RecipeKind)) fail(`unknown recipe "${r}" (use bm25, teachers, ${RECIPE_KINDS.join(', ')})`);
  const seeds = a['seed-list']
    ? String(a['seed-list']).split(',').map(Number)
    : Array.from({ length: num('seeds') ?? 1 }, (_, i) => i + 1);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) fail('seeds must be integers >= 0');
  const split = a.split === 'dev' ? 'dev' : a.split === 'test' ? 'test' : fail('--split must be test or dev');

  const info = await setupNodeBackend(typeof a.backend === 'string' ? a.backend : undefined);
  const log = (m: string) => !a.quiet && process.stderr.write(`${m}\n`);
  log(`backend: ${info.backend} (${info.choice.reasons.at(-1)})`);
  const { corpus, report } = await loadCorpus(a.corpus, log, { outDir: typeof a.out === 'string' ? a.out : undefined }); // DIR/corpus-report.json
  log(`corpus ${corpus.name}: ${corpus.docs.length} documents, ${corpus.queries.length} queries` +
    (report ? `, ${report.issueCount} issues in the validation report` : ''));

  const base = defaultExperiment();
  const vocab = num('vocab');
  const dropout = num('dropout');
  if (dropout !== undefined && (dropout < 0 || dropout >= 1)) fail(`--dropout must be in [0, 1), got ${dropout}`);
  const str = (name: string, allowed: readonly string[]): string | undefined => {
    const v = a[name];
    if (v === undefined) return undefined;
    if (!allowed.includes(String(v))) fail(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return String(v);
  };
  const scoring = {
    ...(str('pooling', ['cls', 'mean', 'max']) ? { pooling: str('pooling', ['cls', 'mean', 'max']) as 'cls' } : {}),
    ...(str('similarity', ['dot', 'cosine']) ? { similarity: str('similarity', ['dot', 'cosine']) as 'dot' } : {}),
    ...(num('score-temperature') !== undefined ? { scoreTemperature: num('score-temperature')! } : {}),
  };
  const tokenizerOf = (t: ExperimentConfig['student']['tokenizer'], prefix: string) => ({
    kind: (str(`${prefix}-tokenizer`, ['wordpiece', 'hashed-word']) as 'wordpiece' | undefined) ?? t.kind,
    vocabSize: num(`${prefix}-vocab`) ?? vocab ?? t.vocabSize,
  });
  const applyModel = (m: ExperimentConfig['student']['model'], prefix: string) => ({
    ...m,
    ...(m.kind === 'de' ? scoring : {}),
    layers: num(`${prefix}-layers`) ?? m.layers,
    hidden: num(`${prefix}-hidden`) ?? m.hidden,
    heads: num(`${prefix}-heads`) ?? m.heads,
    ffn: num(`${prefix}-ffn`) ?? m.ffn,
    maxPassageLen: num('passage-len') ?? m.maxPassageLen,
    maxQueryLen: num('query-len') ?? m.maxQueryLen,
    dropout: dropout === undefined ? m.dropout : { hidden: dropout, attention: dropout },
  });
  const chain = String(a['prod-chain']).split(',').map((s) => s.trim());
  const teacherTemplate = base.teachers[0];
  const teachers = chain.map((kind, i) => ({
    name: `${kind.toUpperCase()} teacher`,
    model: modelOfKind(applyModel(teacherTemplate.model, 'teacher'), kind),
    tokenizer: tokenizerOf(teacherTemplate.tokenizer, 'teacher'),
    train: base.teachers.find((t) => t.model.kind === kind)?.train,
    // A CE later in the chain starts from the first teacher's encoder (ModelSpec.initFrom).
    ...(i > 0 && kind === 'ce' && chain[0] !== 'ce' ? { initFrom: 0 } : {}),
    index: i,
  }));
  if (teachers[0].model.kind === 'ce') fail('--prod-chain must start with a DE or CB teacher (KD and LEAD use the first one)');
  if (typeof a.teacher === 'string') Object.assign(teachers[0], await pretrainedTeacherSpec(a.teacher, log));
  const studentSteps = num('student-steps') ?? base.studentTrain.steps;
  const train = {
    batchSize: num('batch') ?? base.studentTrain.batchSize,
    negatives: num('negatives') ?? base.studentTrain.negatives,
    warmupFraction: num('warmup') ?? base.studentTrain.warmupFraction,
  };
  const recipes: Recipe[] = [];
  for (const r of wanted) {
    if (r === 'bm25' || r === 'teachers') continue;
    const rec = defaultRecipe(r as RecipeKind);
    if (rec.kind === 'kd') {
      if (a['kd-form']) rec.form = a['kd-form'] === 'prod' ? 'prod' : 'lead';
      rec.temperature = num('temperature') ?? (rec.form === 'prod' ? 4 : rec.temperature);
    }
    if (rec.kind === 'lead') {
      rec.k = num('lead-k') ?? rec.k;
      if (a['lead-selection']) rec.selection = a['lead-selection'] as typeof rec.selection;
      rec.reweight = onOff('lead-reweight') ?? rec.reweight;
      rec.joint = onOff('lead-joint') ?? rec.joint;
      rec.tau = num('lead-tau') ?? rec.tau;
    }
    if (rec.kind === 'prod') {
      rec.stages = teachers.map((_, i) => ({ teacher: i, steps: studentSteps, lr: num('lr') ?? base.studentTrain.lr }));
      rec.dataProgressive = { ...rec.dataProgressive, steps: num('dp-steps') ?? rec.dataProgressive.steps, lr: (num('lr') ?? base.studentTrain.lr) / 5 };
    }
    recipes.push(rec);
  }
  const ssMode = a['self-supervised'] ?? 'auto';
  if (ssMode !== 'auto' && ssMode !== 'always' && ssMode !== 'never') fail(`--self-supervised must be auto, always or never, got "${ssMode}"`);
  const perDoc = num('pairs-per-doc') ?? 1;
  if (!Number.isInteger(perDoc) || perDoc < 1) fail(`--pairs-per-doc must be an integer >= 1, got ${perDoc}`);
  // --student-init: teacher[:LIST] or a checkpoint (hf:, builtin:, a folder)[:LIST] (ModelSpec.init).
  let studentInit: ExperimentConfig['student']['init'];
  if (typeof a['student-init'] === 'string' && a['student-init'] !== 'random') {
    const m = /^(.+?)(?::(\d+(?:,\d+)*))?$/.exec(a['student-init'].trim()) ?? fail('--student-init needs a value (random, teacher[:0,2], hf:owner/name[:0,2] or a folder)');
    const layers = m[2]?.split(',').map(Number);
    const own = ['student-layers', 'student-hidden', 'student-heads', 'student-ffn', 'student-tokenizer', 'student-vocab'].filter((f) => a[f] !== undefined);
    if (own.length > 0) fail(`--student-init ${m[0]}: the student takes its sizes and tokenizer from the model it is cut from; drop ${own.map((f) => `--${f}`).join(', ')} (the block list sets its depth: teacher:0,2)`);
    if (m[1] === 'teacher') studentInit = { from: 'teacher', ...(layers ? { layers } : {}) };
    else {
      // Loaded once now (refused early, and the Hub's download cached), again by loadPretrained.
      const { model, source } = await loadModel(m[1].startsWith('builtin:') ? path.join(SHIPPED_DIR, m[1].slice('builtin:'.length)) : m[1], { log });
      log(`student init ${m[1]} (${source}): ${model.config.kind.toUpperCase()} ${model.config.layers} x ${model.config.hidden}`);
      model.dispose();
      studentInit = { from: 'checkpoint', id: m[1], ...(layers ? { layers } : {}) };
    }
  }
  const needTeachers = recipes.some((r) => r.kind !== 'baseline') || studentInit?.from === 'teacher';
  // 'teachers' trains (and reports) every teacher of --prod-chain, with or without students.
  const usedTeachers = wanted.includes('teachers') || recipes.some((r) => r.kind === 'prod') ? teachers : needTeachers ? teachers.slice(0, 1) : [];

  const all: RunResult[] = [];

  function write(final: boolean): void {
    const summary = summarize(all);
    const md = resultsMarkdown(corpus.name, split, summary, all, process.argv.slice(2));
    if (typeof a.out === 'string') {
      const dir = path.resolve(a.out);
      mkdirSync(path.join(dir, 'runs'), { recursive: true });
      const json = {
        corpus: corpus.name,
        split,
        backend: info.backend,
        command: `npm run lab -- ${process.argv.slice(2).join(' ')}`,
        runs: all.map((r) => ({ recipe: r.recipe, seed: r.seed, metrics: r.metrics, stages: r.stages, seconds: r.seconds, health: r.health, perQuery: r.perQuery })),
        summary,
        distillation: poolDistillation(all),
      };
      writeFileSync(path.join(dir, 'results.json'), JSON.stringify(json, null, 2));
      writeFileSync(path.join(dir, 'results.md'), md);
      for (const r of all) {
        const name = `${r.recipe.replace(/[^a-z0-9]+/gi, '-')}-seed${r.seed}`;
        writeFileSync(path.join(dir, 'runs', `${name}.trec`), toTrecRun(rankedIdsToTrec(r.run), name));
      }
      log(`wrote ${path.join(dir, 'results.json')}, results.md and ${all.length} TREC runs (${final ? 'final' : 'so far'})`);
    }
    if (final) process.stdout.write(md);
  }
  for (const seed of seeds) {
    const cfg: ExperimentConfig = {
      ...base,
      seed,
      teachers: usedTeachers.map(({ index: _i, ...t }) => t),
      student: {
        ...base.student,
        model: applyModel(base.student.model, 'student'),
        tokenizer: tokenizerOf(base.student.tokenizer, 'student'),
        ...(studentInit ? { init: studentInit } : {}),
      },
      teacherTrain: { ...base.teacherTrain, ...train, steps: num('teacher-steps') ?? base.teacherTrain.steps, lr: num('teacher-lr') ?? base.teacherTrain.lr },
      studentTrain: { ...base.studentTrain, ...train, steps: studentSteps, lr: num('lr') ?? base.studentTrain.lr },
      recipes,
      evalSplit: split,
      selfSupervised: { mode: ssMode, perDoc, spanProbability: num('span-prob') },
    };
    if (typeof a.demo === 'string') {
      if (a.demo !== 'quick' && a.demo !== 'small') fail(`--demo must be quick or small, got "${a.demo}"`);
      Object.assign(cfg, demoExperiment(a.demo, seed, { teacher: demoTeacher }), { evalSplit: split });
      // Ablations of the demo: --recipes picks its recipes; the recipe flags given change them.
      if (process.argv.some((x) => x === '--recipes' || x.startsWith('--recipes='))) cfg.recipes = cfg.recipes.filter((r) => wanted.includes(r.kind));
      cfg.recipes = cfg.recipes.map(ablate);
      if (studentInit) cfg.student = { ...cfg.student, init: studentInit };
      // The student's vocabulary (a real collection's words outnumber the world's: keep the student's no larger than its teacher's).
      const studentVocab = num('student-vocab') ?? vocab;
      if (studentVocab !== undefined) cfg.student = { ...cfg.student, tokenizer: { ...cfg.student.tokenizer, vocabSize: studentVocab } };
    }
    log(`\n== seed ${seed} ==`);
    let lastDraw = 0;
    const results = await runExperiment(corpus, cfg, {
      onLog: log,
      // builtin:NAME = a teacher shipped in public/teachers/NAME (what the page fetches).
      loadPretrained: async (spec) => (await loadModel(spec.startsWith('builtin:') ? path.join(SHIPPED_DIR, spec.slice('builtin:'.length)) : spec)).model,
      onTeacher: typeof a['save-teacher'] === 'string'
        ? async (i, spec, model) => {
          // One teacher: DIR; a chain: DIR-<kind> for each (DIR-de, DIR-ce).
          const dir = path.resolve(cfg.teachers.length === 1 ? String(a['save-teacher']) : `${a['save-teacher']}-${spec.model.kind}${cfg.teachers.filter((t) => t.model.kind === spec.model.kind).length > 1 ? i : ''}`);
          const files = await exportHuggingFace(model);
          mkdirSync(dir, { recursive: true });
          writeFileSync(path.join(dir, 'config.json'), files.configJson);
          writeFileSync(path.join(dir, 'vocab.txt'), files.vocabTxt);
          writeFileSync(path.join(dir, 'model.safetensors'), files.safetensors);
          log(`saved ${spec.name} to ${path.relative(process.cwd(), dir) || '.'}`);
        }
        : undefined,
      onEvent: (e) => {
        if (e.type === 'health') {
          // Printed even with --quiet: a collapse or a blow-up is what a long run must not hide.
          const { type: _type, ...record } = e;
          process.stderr.write(`\n${formatHealthEvent(record)}\n`);
          return;
        }
        if (a.quiet || e.type !== 'step') return;
        const now = Date.now();
        const s = e as StepEvent;
        if (now - lastDraw < 250 && s.step !== s.totalSteps) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((width * s.step) / s.totalSteps);
        const terms = Object.entries(s.losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
        process.stderr.write(`\r  ${s.phase.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${s.step}/${s.totalSteps} ${terms}`.slice(0, 160).padEnd(160) + (s.step === s.totalSteps ? '\n' : ''));
      },
    });
    all.push(...results.filter((r) => r.recipe !== 'bm25' || wanted.includes('bm25')));
    // Written after every seed, so a long run that is stopped keeps what it finished.
    write(seed === seeds[seeds.length - 1]);
  }
}

main().catch((e: Error) => fail(`${e.name}: ${e.message}`));
