// `npm run lab -- embed --model <hf:owner/name[@rev]|DIR> --texts FILE --out FILE.json`:
// encodes one text per line (empty lines included, as empty texts) with the model's own
// pooling, normalisation, prompts and truncation, as sentence-transformers' encode() does,
// and writes {"model", "dim", "embeddings": [[...], ...]} (a fixed contract: scripts read it).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setupNodeBackend } from './backend';
import { loadModel } from './modelSource';

const HELP = `npm run lab -- embed --model <hf:owner/name[@rev]|DIR> --texts FILE --out FILE.json

  --model SPEC     hf:owner/name[@revision] from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN;
                   cached in DISTILL_LAB_CACHE or ~/.cache/distill-lab), or a checkpoint folder
                   (sentence-transformers or Hugging Face layout)
  --texts FILE     one text per line (a trailing newline ends the file)
  --out FILE.json  {"model", "dim", "embeddings": [[...], ...]}, one row per line
  --side query|passage   which prompt to prepend when the model has prompts (default query)
  --batch N        texts per forward pass (default 64)
  --backend NAME   wasm, cpu or webgpu (default: self-checked choice)`;

export async function embedMain(argv: string[]): Promise<void> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      texts: { type: 'string' },
      out: { type: 'string' },
      side: { type: 'string', default: 'query' },
      batch: { type: 'string', default: '64' },
      backend: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (a.help) {
    console.log(HELP);
    return;
  }
  const fail = (m: string): never => {
    throw new Error(`${m}\n\n${HELP}`);
  };
  if (!a.model || !a.texts || !a.out) fail('embed needs --model, --texts and --out');
  if (a.side !== 'query' && a.side !== 'passage') fail(`--side must be query or passage, got "${a.side}"`);
  const batchSize = Number(a.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`--batch must be an integer >= 1, got "${a.batch}"`);
  const log = (m: string) => !a.quiet && process.stderr.write(`${m}\n`);
  const info = await setupNodeBackend(a.backend);
  log(`backend: ${info.backend}`);
  const raw = readFileSync(path.resolve(a.texts!), 'utf8');
  const texts = raw.split('\n');
  if (texts[texts.length - 1] === '') texts.pop();
  const { model, source } = await loadModel(a.model!, { log });
  try {
    const cfg = model.config;
    if (cfg.kind !== 'de') fail(`${a.model} is a ${cfg.kind.toUpperCase()} model: embed needs a dual encoder`);
    if ((cfg.queryPrompt ?? '') !== (cfg.passagePrompt ?? '')) {
      log(`the model prepends ${JSON.stringify((a.side === 'query' ? cfg.queryPrompt : cfg.passagePrompt) ?? '')} to ${a.side === 'query' ? 'queries' : 'passages'} (--side ${a.side})`);
    }
    log(`${source}: ${cfg.pooling} pooling${cfg.normalize ? ', normalised' : ''}, ${cfg.similarity}, at most ${a.side === 'query' ? cfg.maxQueryLen : cfg.maxPassageLen} tokens; ${texts.length} texts`);
    const enc = a.side === 'query'
      ? model.encodeQueries(texts.map((t) => t.replace(/\r$/, '')), { batchSize, asSentenceTransformers: true })
      : model.encodePassages(texts.map((t) => t.replace(/\r$/, '')), { batchSize, asSentenceTransformers: true });
    if (enc.kind !== 'dense') throw new Error('not a dense embedding');
    const rows = enc.vectors.arraySync();
    enc.vectors.dispose();
    writeFileSync(path.resolve(a.out!), `${JSON.stringify({ model: a.model, dim: cfg.hidden, embeddings: rows })}\n`);
    log(`wrote ${rows.length} embeddings of ${cfg.hidden} dimensions to ${a.out}`);
  } finally {
    model.dispose();
  }
}
