// Loads a corpus for the command line: a built-in world, or a BEIR / MS MARCO / CSV folder
// read through the same streaming ingestion the browser uses (Node file streams instead of
// File.stream()).
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Corpus } from '../core/data/types';
import { ingestFiles, type IngestFile, type ValidationReport } from '../core/data/ingest/index';
import { ConfigError } from '../core/errors';

/** Every file under dir (recursively), as ingestion inputs named by their relative path. */
export function folderFiles(dir: string): IngestFile[] {
  const out: IngestFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (/\.(jsonl|tsv|csv|txt)$/i.test(name)) {
        out.push({
          name: path.join(path.basename(dir), path.relative(dir, full)),
          size: st.size,
          stream: () => createReadStream(full) as unknown as AsyncIterable<Uint8Array>,
        });
      }
    }
  };
  walk(dir);
  return out;
}

export interface LoadedCorpus {
  corpus: Corpus;
  report: ValidationReport | null;
  spec: string;
}

/** `world:NAME[:SEED]`, `beir:DIR`, `msmarco:DIR` or `csv:DIR`. */
export async function loadCorpus(spec: string, onProgress?: (msg: string) => void): Promise<LoadedCorpus> {
  const m = /^(world|beir|msmarco|csv):(.+)$/.exec(spec);
  if (!m) throw new ConfigError(`--corpus must be world:NAME, beir:DIR, msmarco:DIR or csv:DIR, got "${spec}"`);
  const [, kind, rest] = m;
  if (kind === 'world') {
    const { generateWorld } = await import('../core/data/world');
    const [preset, seed] = rest.split(':');
    const corpus = generateWorld({ preset: preset as never, seed: seed ? Number(seed) : undefined });
    return { corpus, report: null, spec };
  }
  const dir = path.resolve(rest);
  const files = folderFiles(dir);
  if (files.length === 0) throw new ConfigError(`no .jsonl/.tsv/.csv files under ${dir}`);
  let last = 0;
  const { corpus, report } = await ingestFiles(files, {
    name: path.basename(dir),
    onProgress: (p) => {
      const pct = p.totalBytes ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 0;
      if (pct >= last + 10) {
        last = pct;
        onProgress?.(`reading ${p.file}: ${pct}%`);
      }
    },
  });
  return { corpus, report, spec };
}
