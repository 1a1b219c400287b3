// The in-memory shape of a retrieval collection, shared by ingestion, the built-in worlds,
// BM25, evaluation and training. Storage (src/store) persists exactly these records.

export type Split = 'train' | 'dev' | 'test';
export const SPLITS: readonly Split[] = ['train', 'dev', 'test'];

export interface Doc {
  id: string;
  title: string;
  text: string;
}

export interface Query {
  id: string;
  text: string;
}

/** A graded relevance judgment: rel > 0 is relevant; the grade is the nDCG gain. */
export interface Qrel {
  qid: string;
  docId: string;
  rel: number;
}

export interface Corpus {
  /** Display name, e.g. "world:default" or "scifact". */
  name: string;
  docs: Doc[];
  queries: Query[];
  qrels: Record<Split, Qrel[]>;
  /** Optional user-supplied hard negatives: query id -> doc ids (best first). */
  negatives?: Record<string, string[]>;
}

/** One problem found while reading input: which file, which line (1-based; 0 = the whole file), and why. */
export interface ValidationIssue {
  file: string;
  line: number;
  reason: string;
  severity: 'error' | 'warning';
}
