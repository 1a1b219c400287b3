// A cross encoder or ColBERT model is evaluated by re-ranking BM25's top N: its metrics say so,
// with the depth ("Recall@100 (re-ranks BM25 top 30)"), since beyond N the ranking is BM25's.

/** The depth the lab's evaluation re-ranks when none is named (core/retrieval/evaluate.ts). */
export const DEFAULT_RERANK_DEPTH = 30;

/** "re-ranks BM25 top 30" for a model kind that re-ranks (CE, ColBERT), else null. */
export function rerankNote(kind: string | undefined, depth: number = DEFAULT_RERANK_DEPTH): string | null {
  return kind === 'ce' || kind === 'cb' ? `re-ranks BM25 top ${depth}` : null;
}

/** A metric's label with the re-ranking depth when there is one: "Recall@100 (re-ranks BM25 top 30)". */
export function metricWithRerank(label: string, note: string | null | undefined): string {
  return note ? `${label} (${note})` : label;
}
