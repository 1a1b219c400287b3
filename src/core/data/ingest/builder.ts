// Accumulates a Corpus row by row, enforcing the rules every format shares: ids present
// and unique (the first occurrence wins), text not empty, judgments naming known queries
// and documents, no duplicate judgments. Each add* returns null when the row was
// accepted, or the reason it was rejected, so the parsers stay small and uniform.

import { SPLITS, type Corpus, type Doc, type Qrel, type Query, type Split } from '../types';

/** Where a row came from, for "first seen at" messages. */
interface Origin {
  file: string;
  line: number;
}

const where = (o: Origin) => `${o.file}:${o.line}`;

export class CorpusBuilder {
  readonly docs: Doc[] = [];
  readonly queries: Query[] = [];
  readonly qrels: Record<Split, Qrel[]> = { train: [], dev: [], test: [] };
  /** Hard negatives per query id (a Map: a query id "__proto__" must stay data). */
  private readonly negativeLists = new Map<string, string[]>();

  private readonly docIndex = new Map<string, number>();
  private readonly queryIndex = new Map<string, number>();
  // Origins kept as parallel arrays (not objects per row): MS MARCO has 8.8M passages.
  private readonly files: string[] = [];
  private readonly fileIds = new Map<string, number>();
  private readonly docFile: number[] = [];
  private readonly docLine: number[] = [];
  private readonly queryOrigin: Origin[] = [];
  private readonly judged = new Map<string, Origin>();
  /** Split a query was first judged in, to warn about train/test leakage. */
  private readonly judgedSplit = new Map<string, Split>();
  /** Split given by the queries file (MS MARCO file name, CSV split column). */
  readonly querySplit = new Map<string, Split>();
  private readonly negativeSets = new Map<string, Set<string>>();

  hasDoc(id: string): boolean {
    return this.docIndex.has(id);
  }
  hasQuery(id: string): boolean {
    return this.queryIndex.has(id);
  }
  get docCount(): number {
    return this.docs.length;
  }

  private fileId(file: string): number {
    let id = this.fileIds.get(file);
    if (id === undefined) {
      id = this.files.length;
      this.files.push(file);
      this.fileIds.set(file, id);
    }
    return id;
  }

  addDoc(id: string, title: string, text: string, at: Origin): string | null {
    if (id === '') return 'missing document id';
    if (text.trim() === '' && title.trim() === '') return `empty text for document "${id}"`;
    const prev = this.docIndex.get(id);
    if (prev !== undefined) {
      return `duplicate document id "${id}" (first at ${this.files[this.docFile[prev]]}:${this.docLine[prev]}; kept that one)`;
    }
    this.docIndex.set(id, this.docs.length);
    this.docFile.push(this.fileId(at.file));
    this.docLine.push(at.line);
    this.docs.push({ id, title, text });
    return null;
  }

  addQuery(id: string, text: string, at: Origin, split?: Split): string | null {
    if (id === '') return 'missing query id';
    if (text.trim() === '') return `empty text for query "${id}"`;
    const prev = this.queryIndex.get(id);
    if (prev !== undefined) {
      return `duplicate query id "${id}" (first at ${where(this.queryOrigin[prev])}; kept that one)`;
    }
    this.queryIndex.set(id, this.queries.length);
    this.queryOrigin.push(at);
    this.queries.push({ id, text });
    if (split) this.querySplit.set(id, split);
    return null;
  }

  /**
   * Adds one judgment. `warn` receives non-fatal observations (a query judged in two
   * splits: its test metrics would be inflated by training on it).
   */
  addQrel(split: Split, qid: string, docId: string, rel: number, at: Origin, warn?: (reason: string) => void): string | null {
    if (qid === '') return 'missing query id';
    if (docId === '') return 'missing document id';
    if (!this.queryIndex.has(qid)) return `unknown query id "${qid}" (not in the queries)`;
    if (!this.docIndex.has(docId)) return `unknown document id "${docId}" (not in the corpus)`;
    const key = `${split}\u0000${qid}\u0000${docId}`;
    const prev = this.judged.get(key);
    if (prev) return `duplicate judgment for query "${qid}", document "${docId}" (first at ${where(prev)})`;
    this.judged.set(key, at);
    const firstSplit = this.judgedSplit.get(qid);
    if (firstSplit === undefined) this.judgedSplit.set(qid, split);
    else if (firstSplit !== split && warn) {
      warn(`query "${qid}" is judged in both ${firstSplit} and ${split}: its ${split === 'train' ? firstSplit : split} metrics may be inflated`);
    }
    this.qrels[split].push({ qid, docId, rel });
    return null;
  }

  /** Adds hard negatives for a query, in order; repeated ids are ignored. */
  addNegatives(qid: string, docIds: string[]): string | null {
    if (qid === '') return 'missing query id';
    if (!this.queryIndex.has(qid)) return `unknown query id "${qid}" (not in the queries)`;
    for (const d of docIds) {
      if (d === '') return 'empty document id in the negatives list';
      if (!this.docIndex.has(d)) return `unknown document id "${d}" (not in the corpus)`;
    }
    let set = this.negativeSets.get(qid);
    if (!set) {
      set = new Set();
      this.negativeSets.set(qid, set);
      this.negativeLists.set(qid, []);
    }
    const list = this.negativeLists.get(qid)!;
    for (const d of docIds) {
      if (!set.has(d)) {
        set.add(d);
        list.push(d);
      }
    }
    return null;
  }

  judgedQueryCount(split: Split): number {
    return new Set(this.qrels[split].map((q) => q.qid)).size;
  }

  build(name: string): Corpus {
    const corpus: Corpus = {
      name,
      docs: this.docs,
      queries: this.queries,
      qrels: Object.fromEntries(SPLITS.map((s) => [s, this.qrels[s]])) as Record<Split, Qrel[]>,
    };
    // Object.fromEntries defines own properties: an id "__proto__" is a key, not the prototype.
    if (this.negativeSets.size > 0) corpus.negatives = Object.fromEntries(this.negativeLists);
    return corpus;
  }
}
