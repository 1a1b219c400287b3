// Checkpoint folders from the Hub, end to end against a local stand-in (test/shared/hubStandIn):
// the golden sentence-transformers folders downloaded, verified, cached and imported to the
// reference numbers; a second import makes no request; a corrupted byte, a truncated file, a
// 404, a gated repo, no network, pickle-only weights and an unsupported architecture are each
// refused by name with nothing cached.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { folderHubCache, loadModel } from '../../../src/cli/modelSource';
import {
  HubAccessError,
  HubIntegrityError,
  HubNetworkError,
  HubNotFoundError,
  UnsupportedModelError,
} from '../../../src/core/errors';
import { downloadHubFolder, parseHubRef, type HubOptions } from '../../../src/core/hub/hub';
import { importModelFolder } from '../../../src/core/model';
import { startHubStandIn, type HubStandIn } from '../../shared/hubStandIn.mjs';
import { loadFolder, ST_GOLDEN } from '../model/stGolden';

let hub: HubStandIn;
let cacheDir: string;
const tempDirs: string[] = [];
const golden = { meanCos: loadFolder(ST_GOLDEN.meanCos), clsDot: loadFolder(ST_GOLDEN.clsDot) };
const asFiles = (f: Record<string, unknown>) => f as Record<string, string | Uint8Array>;

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  const roberta = { ...golden.clsDot.files, 'config.json': JSON.stringify({ ...JSON.parse(golden.clsDot.files['config.json'] as string), model_type: 'roberta' }) };
  const pickle: Record<string, string | Uint8Array> = { ...asFiles(golden.clsDot.files), 'pytorch_model.bin': golden.clsDot.files['model.safetensors'] as Uint8Array };
  delete pickle['model.safetensors'];
  hub = await startHubStandIn({
    'lab/st-mean-cos': { files: asFiles(golden.meanCos.files), revisions: ['v1'] },
    'lab/st-cls-dot': { files: asFiles(golden.clsDot.files) },
    'lab/gated': { files: asFiles(golden.clsDot.files), token: 'hf_secret' },
    'lab/roberta': { files: asFiles(roberta) },
    'lab/pickle': { files: pickle },
  });
});
afterAll(async () => {
  await hub.close();
});
beforeEach(() => {
  cacheDir = mkdtempSync(path.join(tmpdir(), 'distill-hub-'));
  tempDirs.push(cacheDir);
  hub.requests.length = 0;
  hub.authorizations.length = 0;
  hub.faults.clear();
});

const opts = (extra: Partial<HubOptions> = {}): HubOptions => ({
  fetch: (url, init) => fetch(url, init),
  endpoint: hub.endpoint,
  cache: folderHubCache(cacheDir),
  ...extra,
});
const cacheEntries = () => (existsSync(path.join(cacheDir, 'hub')) ? readdirSync(path.join(cacheDir, 'hub'), { recursive: true }).map(String).filter((p) => p.endsWith('manifest.json')) : []);

function maxAbs(a: number[][], b: number[][]): number {
  let w = 0;
  a.forEach((r, i) => r.forEach((v, k) => (w = Math.max(w, Math.abs(v - b[i][k])))));
  return w;
}

describe('Hub stand-in end to end', () => {
  it('parses owner/name[@rev] and hf: specs', () => {
    expect(parseHubRef('hf:sentence-transformers/all-MiniLM-L6-v2@v1.0')).toEqual({ repo: 'sentence-transformers/all-MiniLM-L6-v2', revision: 'v1.0' });
    expect(parseHubRef('BAAI/bge-small-en-v1.5')).toEqual({ repo: 'BAAI/bge-small-en-v1.5', revision: 'main' });
    expect(() => parseHubRef('not a repo')).toThrow(/owner\/name/);
  });

  for (const [name, g] of [['lab/st-mean-cos', golden.meanCos], ['lab/st-cls-dot', golden.clsDot]] as const) {
    it(`${name}: downloaded, verified, cached, imported to the golden scores; the second import makes no request`, async () => {
      const listed: string[] = [];
      const progress = new Set<string>();
      const folder = await downloadHubFolder(name, opts({ onListing: (fs) => listed.push(...fs.map((f) => f.path)), onProgress: (p) => progress.add(p.file) }));
      expect(folder.fromCache).toBe(false);
      expect(listed).toContain('model.safetensors');
      expect(progress.has('model.safetensors')).toBe(true);
      // Every file fetched at the listed commit, never the branch name.
      expect(hub.requests.filter((r) => r.includes('/resolve/')).every((r) => r.includes(`/resolve/${folder.sha}/`))).toBe(true);
      expect(hub.authorizations.every((a) => a === '')).toBe(true); // no token given, none sent
      expect(cacheEntries().length).toBe(1); // one copy, under the commit; 'main' is an alias of it
      const { model } = importModelFolder(folder.files);
      const s = model.similarity(model.encodeQueries(g.expected.queries), model.encodePassages(g.expected.passages));
      expect(maxAbs(s.arraySync(), g.expected.scores)).toBeLessThan(1e-4);
      model.dispose();
      tf.dispose(s);

      const n = hub.requests.length;
      const again = await downloadHubFolder(name, opts());
      expect(again.fromCache).toBe(true);
      expect(hub.requests.length).toBe(n);
      expect(Object.keys(again.files).sort()).toEqual(Object.keys(folder.files).sort());
      for (const [p, v] of Object.entries(folder.files)) expect(Buffer.from(again.files[p] as Uint8Array).equals(Buffer.from(v as Uint8Array))).toBe(true);
    });
  }

  it('the same commit under another revision name comes from the cache after one listing', async () => {
    await downloadHubFolder('lab/st-mean-cos', opts());
    hub.requests.length = 0;
    const v1 = await downloadHubFolder('lab/st-mean-cos@v1', opts());
    expect(v1.fromCache).toBe(true);
    expect(hub.requests.length).toBe(1);
    expect(hub.requests[0]).toMatch(/^GET \/api\/models\/lab\/st-mean-cos\/revision\/v1$/);
  });

  it('a corrupted byte is refused (sha256), nothing cached', async () => {
    hub.faults.set('lab/st-cls-dot/model.safetensors', 'corrupt');
    const err = await downloadHubFolder('lab/st-cls-dot', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubIntegrityError);
    expect((err as Error).message).toMatch(/model\.safetensors.*lab\/st-cls-dot.*sha256.*nothing was stored/);
    expect(cacheEntries()).toEqual([]);
  });

  it('a corrupted small file is refused too (git blob id)', async () => {
    hub.faults.set('lab/st-cls-dot/config.json', 'corrupt');
    await expect(downloadHubFolder('lab/st-cls-dot', opts())).rejects.toThrow(/config\.json.*git blob id/);
    expect(cacheEntries()).toEqual([]);
  });

  it('a truncated file is refused (size), nothing cached', async () => {
    hub.faults.set('lab/st-mean-cos/model.safetensors', 'truncate');
    const err = await downloadHubFolder('lab/st-mean-cos', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubIntegrityError);
    expect((err as Error).message).toMatch(/model\.safetensors.*bytes but the Hub states.*truncated/);
    expect(cacheEntries()).toEqual([]);
  });

  it('an unknown repo is a HubNotFoundError naming it, nothing cached', async () => {
    const err = await downloadHubFolder('lab/nope', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubNotFoundError);
    expect((err as Error).message).toMatch(/lab\/nope was not found.*check the name/);
    await expect(downloadHubFolder('lab/st-cls-dot@nobranch', opts())).rejects.toThrow(/revision "nobranch"/);
    expect(cacheEntries()).toEqual([]);
  });

  it('a gated repo without a token is a HubAccessError; with the token it loads', async () => {
    const err = await downloadHubFolder('lab/gated', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubAccessError);
    expect((err as Error).message).toMatch(/lab\/gated.*gated or private.*access token/);
    await expect(downloadHubFolder('lab/gated', opts({ token: 'hf_wrong' }))).rejects.toThrow(/token given has no access/);
    expect(cacheEntries()).toEqual([]);
    const ok = await downloadHubFolder('lab/gated', opts({ token: 'hf_secret' }));
    expect(Object.keys(ok.files)).toContain('model.safetensors');
    // The token is not part of what is cached.
    for (const p of readdirSync(cacheDir, { recursive: true }).map(String)) {
      if (p.endsWith('.json')) expect(readFileSync(path.join(cacheDir, p), 'utf8')).not.toContain('hf_secret');
    }
  });

  it('no network is a HubNetworkError', async () => {
    const err = await downloadHubFolder('lab/st-cls-dot', opts({ endpoint: 'http://127.0.0.1:9' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubNetworkError);
    expect((err as Error).message).toMatch(/could not reach http:\/\/127\.0\.0\.1:9.*offline.*CORS/);
  });

  it('pickle-only weights and unsupported architectures are refused before the weights are fetched', async () => {
    const err = await downloadHubFolder('lab/pickle', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect((err as Error).message).toMatch(/pytorch_model\.bin is a Python pickle.*save_file/);
    expect(hub.requests.some((r) => r.endsWith('.bin'))).toBe(false);
    hub.requests.length = 0;
    await expect(downloadHubFolder('lab/roberta', opts())).rejects.toThrow(/model_type "roberta" is not supported.*"bert".*"distilbert"/);
    expect(hub.requests.some((r) => r.endsWith('.safetensors'))).toBe(false);
    expect(cacheEntries()).toEqual([]);
  });

  it('the CLI loader: hf: through HF_ENDPOINT and DISTILL_LAB_CACHE, and a folder on disk', async () => {
    const env = { ...process.env };
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.DISTILL_LAB_CACHE = cacheDir;
    try {
      const a = await loadModel('hf:lab/st-mean-cos');
      expect(a.info.format).toBe('sentence-transformers');
      expect(a.model.config.pooling).toBe('mean');
      a.model.dispose();
      const n = hub.requests.length;
      const b = await loadModel('hf:lab/st-mean-cos');
      expect(hub.requests.length).toBe(n);
      b.model.dispose();
      const c = await loadModel(ST_GOLDEN.clsDot);
      expect(c.model.config.pooling).toBe('cls');
      c.model.dispose();
    } finally {
      process.env = env;
    }
  });

  it('embed writes {model, dim, embeddings} matching sentence-transformers', async () => {
    const { embedMain } = await import('../../../src/cli/embed');
    const texts = path.join(cacheDir, 'texts.txt');
    const out = path.join(cacheDir, 'out.json');
    writeFileSync(texts, `${golden.meanCos.expected.passages.join('\n')}\n`);
    const env = { ...process.env };
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.DISTILL_LAB_CACHE = cacheDir;
    try {
      await embedMain(['--model', 'hf:lab/st-mean-cos', '--texts', texts, '--out', out, '--backend', 'cpu', '--quiet']);
    } finally {
      process.env = env;
    }
    const j = JSON.parse(readFileSync(out, 'utf8')) as { model: string; dim: number; embeddings: number[][] };
    expect(Object.keys(j)).toEqual(['model', 'dim', 'embeddings']);
    expect(j.model).toBe('hf:lab/st-mean-cos');
    expect(j.dim).toBe(16);
    expect(maxAbs(j.embeddings, golden.meanCos.expected.passage_embeddings)).toBeLessThan(1e-4);
    await tf.setBackend('cpu');
  });
});

afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
