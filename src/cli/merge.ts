// `npm run lab -- --merge DIR1,DIR2,... --out DIR`: one study from several result folders, e.g.
// seeds run as separate processes (`--seed-list 1,2` on one core, `--seed-list 3` on another).
// Each input is a folder written by `npm run lab -- --out`; they must report the same corpus and
// split, and no (recipe, seed) may appear twice. Writes the same results.json / results.md /
// runs/ as a single run would, with every input's command listed.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../core/distill/experiment';
import { resultsMarkdown, summarize } from './report';

interface ResultsFile {
  corpus: string;
  split: string;
  backend?: string;
  command?: string;
  commands?: string[];
  runs: (Pick<RunResult, 'recipe' | 'seed' | 'metrics' | 'stages' | 'seconds' | 'health'>)[];
}

export class MergeError extends Error {
  override name = 'MergeError';
}

export function readResults(dir: string): ResultsFile {
  const file = path.join(dir, 'results.json');
  if (!existsSync(file)) throw new MergeError(`${file}: not found (expected a folder written by npm run lab -- --out)`);
  let x: ResultsFile;
  try {
    x = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
  } catch (e) {
    throw new MergeError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof x.corpus !== 'string' || typeof x.split !== 'string' || !Array.isArray(x.runs)) {
    throw new MergeError(`${file}: missing "corpus", "split" or "runs"`);
  }
  return x;
}

/** Merged results of the folders (pure: reads, never writes). */
export function mergeResults(inputs: { dir: string; data: ResultsFile }[]): ResultsFile & { commands: string[] } {
  if (inputs.length === 0) throw new MergeError('nothing to merge');
  const first = inputs[0].data;
  const seen = new Map<string, string>();
  const runs: ResultsFile['runs'] = [];
  const commands: string[] = [];
  for (const { dir, data } of inputs) {
    if (data.corpus !== first.corpus || data.split !== first.split) {
      throw new MergeError(`${dir}: reports ${data.corpus} / ${data.split}, but ${inputs[0].dir} reports ${first.corpus} / ${first.split}`);
    }
    commands.push(...(data.commands ?? (data.command ? [data.command] : [])));
    for (const r of data.runs) {
      const key = `${r.recipe} seed ${r.seed}`;
      // BM25 has no randomness: the same row in two folders is the same result, kept once per seed.
      if (seen.has(key)) {
        if (r.recipe === 'bm25') continue;
        throw new MergeError(`${key} appears in both ${seen.get(key)} and ${dir}`);
      }
      seen.set(key, dir);
      runs.push(r);
    }
  }
  return { corpus: first.corpus, split: first.split, backend: first.backend, commands, runs };
}

export function mergeFolders(dirs: string[], out: string): string {
  const inputs = dirs.map((dir) => ({ dir, data: readResults(dir) }));
  const merged = mergeResults(inputs);
  const all = merged.runs as RunResult[];
  const summary = summarize(all);
  const argv = ['--merge', dirs.join(','), '--out', out];
  let md = resultsMarkdown(merged.corpus, merged.split, summary, all, argv);
  md += `\nMerged from:\n\n${merged.commands.map((c) => `- \`${c}\``).join('\n')}\n`;
  mkdirSync(path.join(out, 'runs'), { recursive: true });
  writeFileSync(path.join(out, 'results.json'), JSON.stringify({ ...merged, command: `npm run lab -- ${argv.join(' ')}`, summary }, null, 2));
  writeFileSync(path.join(out, 'results.md'), md);
  for (const dir of dirs) {
    const runs = path.join(dir, 'runs');
    if (!existsSync(runs)) continue;
    for (const f of readdirSync(runs)) if (f.endsWith('.trec')) copyFileSync(path.join(runs, f), path.join(out, 'runs', f));
  }
  return md;
}
