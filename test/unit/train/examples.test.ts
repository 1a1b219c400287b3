// Self-supervised inverse-cloze span pairs and the sampler that mixes them with judged pairs.
import { describe, expect, it } from 'vitest';
import { generateWorld } from '../../../src/core/data/world';
import { Rng } from '../../../src/core/rng';
import { BatchSampler, buildExamples, spanPair } from '../../../src/core/train/examples';

const doc = { id: 'd1', title: 'Title', text: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty' };

describe('spanPair', () => {
  it('cuts a 6..16-word run out of the text as the query and removes it from the positive (kept whole ~10%)', () => {
    const rng = new Rng(5);
    let kept = 0;
    for (let i = 0; i < 400; i++) {
      const ex = spanPair(doc, 0, rng)!;
      const q = ex.query.split(' ');
      expect(q.length).toBeGreaterThanOrEqual(6);
      expect(q.length).toBeLessThanOrEqual(16);
      expect(doc.text).toContain(ex.query);
      expect(ex.posText.startsWith('Title. ')).toBe(true);
      const body = ex.posText.slice('Title. '.length);
      if (body === doc.text) kept++;
      else expect(body.split(' ').length).toBe(20 - q.length);
      expect(ex.source).toBe('span');
    }
    expect(kept).toBeGreaterThan(20);
    expect(kept).toBeLessThan(70);
  });

  it('gives nothing for a document too short to cut', () => {
    expect(spanPair({ id: 'x', title: '', text: 'too short a text' }, 0, new Rng(1))).toBeNull();
  });
});

describe('BatchSampler with span pairs', () => {
  const corpus = generateWorld({ preset: 'easy', seed: 3, entities: 60, train: 80, dev: 10, test: 10 });
  const examples = buildExamples(corpus);

  it('mixes span pairs in at the given probability, and a resumed sampler draws the same batches', () => {
    const s = new BatchSampler(corpus, examples, new Map(), 32, 2, 9, { spanProbability: 0.5 });
    const first = Array.from({ length: 5 }, () => s.next());
    const spans = first.flatMap((b) => b.qids).filter((q) => q.startsWith('span:')).length;
    expect(spans).toBeGreaterThan(50);
    expect(spans).toBeLessThan(110);
    const state = s.getState();
    const a = s.next();
    const s2 = new BatchSampler(corpus, examples, new Map(), 32, 2, 9, { spanProbability: 0.5 });
    s2.setState(state);
    expect(s2.next()).toEqual(a);
  });

  it('trains on span pairs alone when there are no judged pairs, and refuses a bad probability', () => {
    const s = new BatchSampler(corpus, [], new Map(), 8, 1, 1, { spanProbability: 1 });
    expect(s.next().qids.every((q) => q.startsWith('span:'))).toBe(true);
    expect(() => new BatchSampler(corpus, [], new Map(), 8, 1, 1)).toThrow(/no training examples/);
    expect(() => new BatchSampler(corpus, examples, new Map(), 8, 1, 1, { spanProbability: 1.5 })).toThrow(/probability/);
  });
});

describe('BatchSampler with distinct batches', () => {
  const corpus = generateWorld({ preset: 'easy', seed: 3, entities: 60, train: 80, dev: 10, test: 10 });
  // A small subset with several positives per query, as PROD's data-progressive stage selects.
  const all = buildExamples(corpus);
  const byQuery = new Map<string, number>();
  for (const e of all) byQuery.set(e.qid, (byQuery.get(e.qid) ?? 0) + 1);
  const multi = [...byQuery].filter(([, n]) => n > 1).map(([q]) => q).slice(0, 12);
  const subset = all.filter((e) => multi.includes(e.qid));

  it('never puts a query or a positive passage twice in one batch, and uses every example', () => {
    expect(multi.length).toBe(12);
    const s = new BatchSampler(corpus, subset, new Map(), 8, 1, 5, { distinct: true });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const b = s.next();
      expect(new Set(b.qids).size).toBe(b.qids.length);
      expect(new Set(b.docs).size).toBe(b.docs.length);
      b.qids.forEach((q, j) => seen.add(`${q}:${b.docs[j]}`));
    }
    expect(seen.size).toBe(subset.length);
  });

  it('without distinct, the same small subset repeats queries within a batch (what distinct prevents)', () => {
    const s = new BatchSampler(corpus, subset, new Map(), 8, 1, 5);
    const repeats = Array.from({ length: 30 }, () => s.next()).filter((b) => new Set(b.qids).size < b.qids.length).length;
    expect(repeats).toBeGreaterThan(0);
  });

  it('a resumed distinct sampler draws the same batches (its put-off examples are in the state)', () => {
    const s = new BatchSampler(corpus, subset, new Map(), 8, 1, 5, { distinct: true });
    for (let i = 0; i < 3; i++) s.next();
    const state = s.getState();
    const next = [s.next(), s.next()];
    const s2 = new BatchSampler(corpus, subset, new Map(), 8, 1, 5, { distinct: true });
    s2.setState(JSON.parse(JSON.stringify(state)));
    expect([s2.next(), s2.next()]).toEqual(next);
  });
});
