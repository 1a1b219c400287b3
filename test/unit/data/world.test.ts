import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWorld, listWorldPresets, WORLD_PRESETS, type WorldPreset } from '../../../src/core/data/world';
import { SPLITS, type Corpus } from '../../../src/core/data/types';
import { ConfigError } from '../../../src/core/errors';
import { evaluate, type Run } from '../../../src/core/eval/metrics';
import { Rng } from '../../../src/core/rng';
import { Bm25Index } from '../../../src/core/text/bm25';

const hash = (c: Corpus) => createHash('sha256').update(JSON.stringify(c)).digest('hex');

function testQueries(c: Corpus) {
  const ids = new Set(c.qrels.test.map((q) => q.qid));
  return c.queries.filter((q) => ids.has(q.id));
}

const METRICS = ['ndcg@10', 'mrr@10', 'recall@100'];

function bm25Test(c: Corpus) {
  return evaluate(Bm25Index.build(c.docs).rank(testQueries(c), 100), c.qrels.test, METRICS).mean;
}

function randomTest(c: Corpus, seed: number) {
  const rng = new Rng(seed);
  const run: Run = {};
  for (const q of testQueries(c)) run[q.id] = rng.sample(c.docs.length, 100).map((i) => c.docs[i].id);
  return evaluate(run, c.qrels.test, METRICS).mean;
}

const fmt = (m: Record<string, number>) => METRICS.map((k) => `${k} ${m[k].toFixed(3)}`).join(', ');

describe('synthetic worlds', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateWorld({ preset: 'default', seed: 7 });
    const b = generateWorld({ preset: 'default', seed: 7 });
    const c = generateWorld({ preset: 'default', seed: 8 });
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).not.toBe(hash(c));
    expect(a.name).toBe('world:default');
  });

  it.each(WORLD_PRESETS.map((p) => p.id))('preset %s has the sizes it promises and exact graded qrels', (preset: WorldPreset) => {
    const cfg = WORLD_PRESETS.find((p) => p.id === preset)!.config;
    const c = generateWorld({ preset, seed: 1 });
    expect(c.queries).toHaveLength(cfg.train + cfg.dev + cfg.test);
    expect(c.docs.length).toBeGreaterThanOrEqual(1000);
    expect(c.docs.length).toBeLessThanOrEqual(4000);
    const docIds = new Set(c.docs.map((d) => d.id));
    expect(docIds.size).toBe(c.docs.length);
    expect(c.docs.every((d) => d.text.length > 0)).toBe(true);
    const splitOf = new Map<string, string>();
    for (const s of SPLITS) {
      const qids = new Set(c.qrels[s].map((q) => q.qid));
      expect(qids.size).toBe(cfg[s]);
      for (const q of qids) {
        expect(splitOf.has(q)).toBe(false); // a query belongs to one split only
        splitOf.set(q, s);
      }
      for (const q of c.qrels[s]) {
        expect(docIds.has(q.docId)).toBe(true);
        expect([1, 2]).toContain(q.rel);
      }
    }
    // Every query has exactly one rel = 2 passage (the one stating the asked attribute).
    const twos = new Map<string, number>();
    for (const s of SPLITS) for (const q of c.qrels[s]) if (q.rel === 2) twos.set(q.qid, (twos.get(q.qid) ?? 0) + 1);
    expect(c.queries.every((q) => twos.get(q.id) === 1)).toBe(true);
  });

  it('lets options override a preset, and rejects bad ones', () => {
    const c = generateWorld({ preset: 'easy', seed: 3, train: 50, dev: 10, test: 10 });
    expect([c.qrels.train, c.qrels.dev, c.qrels.test].map((q) => new Set(q.map((x) => x.qid)).size)).toEqual([50, 10, 10]);
    expect(() => generateWorld({ entities: 5 })).toThrow(ConfigError);
    expect(() => generateWorld({ synonymRate: 1.5 })).toThrow(/synonymRate = 1.5: must be in \[0, 1\]/);
    expect(() => generateWorld({ preset: 'easy', train: 100_000 })).toThrow(/fewer than the 100400 queries asked/);
    expect(() => generateWorld({ entities: 2000, namePool: 10, train: 10, dev: 10, test: 10 })).toThrow(/namePool 10 is too small for 600 people/);
    expect(listWorldPresets().map((p) => p.id)).toEqual(['easy', 'default', 'hard']);
    expect(listWorldPresets().every((p) => p.description.length > 20)).toBe(true);
  });

  it('leaves BM25 well above random but far from perfect, harder presets lower', () => {
    const results = WORLD_PRESETS.map((p) => {
      const c = generateWorld({ preset: p.id, seed: 1 });
      const bm25 = bm25Test(c);
      const random = randomTest(c, 1);
      console.log(`world:${p.id} (${c.docs.length} passages, ${testQueries(c).length} test queries): BM25 ${fmt(bm25)} | random ${fmt(random)}`);
      return { id: p.id, bm25, random };
    });
    const def = results.find((r) => r.id === 'default')!;
    expect(def.bm25['ndcg@10']).toBeGreaterThan(0.2);
    expect(def.bm25['ndcg@10']).toBeLessThan(0.8);
    expect(def.bm25['ndcg@10']).toBeGreaterThan(def.random['ndcg@10'] + 0.3);
    expect(def.bm25['mrr@10']).toBeLessThan(0.8);
    const ndcg = results.map((r) => r.bm25['ndcg@10']);
    expect(ndcg[0]).toBeGreaterThan(ndcg[1]);
    expect(ndcg[1]).toBeGreaterThan(ndcg[2]);
  });
});
