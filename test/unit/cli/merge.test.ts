import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MergeError, mergeFolders, mergeResults } from '../../../src/cli/merge';

const m = (x: number) => ({ 'mrr@10': x, 'ndcg@10': x, 'recall@100': x });
const folder = (runs: { recipe: string; seed: number; v: number }[], corpus = 'world:default', split = 'test') => {
  const dir = mkdtempSync(path.join(tmpdir(), 'merge-'));
  mkdirSync(path.join(dir, 'runs'));
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ corpus, split, command: `npm run lab -- ${dir}`, runs: runs.map((r) => ({ recipe: r.recipe, seed: r.seed, metrics: m(r.v), seconds: 1 })) }));
  for (const r of runs) writeFileSync(path.join(dir, 'runs', `${r.recipe}-seed${r.seed}.trec`), `q 0 d 1 1 ${r.recipe}\n`);
  return dir;
};

describe('merging result folders', () => {
  it('pools seeds, keeps one BM25 row per seed, copies the TREC runs and lists every command', () => {
    const a = folder([{ recipe: 'bm25', seed: 1, v: 0.5 }, { recipe: 'kd', seed: 1, v: 0.2 }, { recipe: 'kd', seed: 2, v: 0.4 }]);
    const b = folder([{ recipe: 'bm25', seed: 1, v: 0.5 }, { recipe: 'kd', seed: 3, v: 0.6 }]);
    const out = mkdtempSync(path.join(tmpdir(), 'merged-'));
    const md = mergeFolders([a, b], out);
    const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(json.runs.map((r: { recipe: string; seed: number }) => `${r.recipe}${r.seed}`)).toEqual(['bm251', 'kd1', 'kd2', 'kd3']);
    const kd = json.summary.find((r: { recipe: string }) => r.recipe === 'kd');
    expect(kd.seeds).toBe(3);
    expect(kd.metrics['ndcg@10'].mean).toBeCloseTo(0.4, 12);
    expect(kd.metrics['ndcg@10'].std).toBeCloseTo(0.2, 12);
    expect(readFileSync(path.join(out, 'runs', 'kd-seed3.trec'), 'utf8')).toContain('kd');
    expect(md).toContain(`npm run lab -- ${a}`);
    expect(md).toContain(`npm run lab -- ${b}`);
    expect(md).toMatch(/\| response KD \| 3 \| 0\.4000 ± 0\.2000/);
  });

  it('refuses a (recipe, seed) twice and different corpora, naming the folders', () => {
    const a = folder([{ recipe: 'kd', seed: 1, v: 0.2 }]);
    const b = folder([{ recipe: 'kd', seed: 1, v: 0.3 }]);
    const c = folder([{ recipe: 'kd', seed: 2, v: 0.3 }], 'beir:scifact');
    const read = (d: string) => ({ dir: d, data: JSON.parse(readFileSync(path.join(d, 'results.json'), 'utf8')) });
    expect(() => mergeResults([read(a), read(b)])).toThrow(MergeError);
    expect(() => mergeResults([read(a), read(b)])).toThrow(`kd seed 1 appears in both ${a} and ${b}`);
    expect(() => mergeResults([read(a), read(c)])).toThrow(/reports beir:scifact/);
    expect(() => mergeFolders([path.join(a, 'nope')], a)).toThrow(/results\.json: not found/);
  });
});
