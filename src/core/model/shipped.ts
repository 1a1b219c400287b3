// The teachers the lab ships: one trained DE per built-in world preset, and one for SciFact (the
// real collection in test/data/scifact, which a user uploads through the Data tab), in public/teachers/<name>/
// (config.json, vocab.txt, model.safetensors, Hugging Face layout), each written by the lab's own
// command line (`command` below). A run names one as `builtin:<name>`: the page's worker fetches
// the three files from the app's origin, the CLI reads the folder. The test-split metrics here
// are what test/unit/model/shippedTeacher.test.ts re-computes from the files, and what the
// README and the Models tab state.
import type { WorldPreset } from '../data/world';

export interface ShippedTeacher {
  /** Folder under public/teachers/ (and the id after `builtin:`). */
  name: string;
  /** The corpus it was trained and is evaluated on, as `npm run lab -- --corpus` names it. */
  corpus: string;
  /** The built-in world, when the corpus is one. */
  world?: WorldPreset;
  /** Its architecture, as its config.json states it. */
  model: { kind: 'de'; layers: number; hidden: number; heads: number; ffn: number; maxQueryLen: number; maxPassageLen: number; maxPositions: number };
  tokenizer: { kind: 'hashed-word'; vocabSize: number };
  params: number;
  /** On the corpus's test split (300 queries for world:default, world:hard and SciFact, 200 for world:easy). */
  test: { 'mrr@10': number; 'ndcg@10': number };
  /** BM25 on the same split, for scale. */
  bm25: { 'ndcg@10': number };
  /** The command that trained it (from the project root). */
  command: string;
}

const SHAPE = { kind: 'de', layers: 4, hidden: 64, heads: 4, ffn: 256, maxQueryLen: 24, maxPassageLen: 96, maxPositions: 128 } as const;

/** The training command; `--save-teacher DIR` writes one teacher to DIR, a chain's to DIR-de, DIR-ce. */
const command = (world: WorldPreset, chain: string, dir: string) =>
  `npm run lab -- --corpus world:${world} --recipes bm25,teachers --prod-chain ${chain} --teacher-layers 4 --teacher-hidden 64 --teacher-heads 4 --teacher-ffn 256 --teacher-steps 500 --backend wasm --save-teacher public/teachers/${dir} --out public/results/teachers-world-${world}`;

export const SHIPPED_TEACHERS: readonly ShippedTeacher[] = [
  {
    name: 'world-default-de',
    corpus: 'world:default',
    world: 'default',
    model: SHAPE,
    tokenizer: { kind: 'hashed-word', vocabSize: 1635 },
    params: 313_024,
    test: { 'mrr@10': 0.9312, 'ndcg@10': 0.8325 },
    bm25: { 'ndcg@10': 0.5904 },
    // Trained with the CE teacher of a DE -> CE chain beside it (saved as world-default-ce, not
    // shipped: it stalled near chance); the DE half is the same as a DE-only run's.
    command: command('default', 'de,ce', 'world-default'),
  },
  {
    name: 'world-hard',
    corpus: 'world:hard',
    world: 'hard',
    model: SHAPE,
    tokenizer: { kind: 'hashed-word', vocabSize: 1705 },
    params: 317_504,
    test: { 'mrr@10': 0.8505, 'ndcg@10': 0.7499 },
    bm25: { 'ndcg@10': 0.4578 },
    command: command('hard', 'de', 'world-hard'),
  },
  {
    name: 'scifact-de',
    corpus: 'beir:test/data/scifact',
    model: SHAPE,
    tokenizer: { kind: 'hashed-word', vocabSize: 8000 },
    params: 720_384,
    test: { 'mrr@10': 0.5459, 'ndcg@10': 0.5675 },
    bm25: { 'ndcg@10': 0.6776 },
    // 8,000 word ids (not the default 30,000) keep the files small (2.9 MB); 70% of each batch
    // inverse-cloze span pairs (SciFact has 809 judged training queries: docs/training.md).
    command:
      'npm run lab -- --corpus beir:test/data/scifact --recipes bm25,teachers --prod-chain de --teacher-layers 4 --teacher-hidden 64 --teacher-heads 4 --teacher-ffn 256 --teacher-steps 500 --teacher-vocab 8000 --backend wasm --save-teacher public/teachers/scifact-de --out public/results/teachers-scifact',
  },
];

/** The shipped teacher of a corpus as `npm run lab -- --corpus` names it (world:hard, beir:test/data/scifact), if any. */
export function shippedTeacherFor(corpus: string): ShippedTeacher | undefined {
  const norm = (c: string) => c.replace(/^beir:(\.\/)?/, 'beir:').replace(/\/+$/, '');
  return SHIPPED_TEACHERS.find((t) => norm(t.corpus) === norm(corpus));
}

/** The shipped teacher named `name` (the folder), if any. */
export function shippedTeacherNamed(name: string): ShippedTeacher | undefined {
  return SHIPPED_TEACHERS.find((t) => t.name === name);
}
