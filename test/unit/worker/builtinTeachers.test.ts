// builtin:<name> teachers: the worker fetches public/teachers/<name>/{config.json, vocab.txt,
// model.safetensors} from the app's origin. Here a fetch stand-in serves a real checkpoint
// folder from disk (the tiny random BERT of test/golden), so the import path is the real one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinTeacher } from '../../../src/worker/builtinTeachers';

const DIR = path.resolve(__dirname, '../../golden/bert-tiny-random');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function serve(requested: string[]): typeof fetch {
  return (async (url: string) => {
    requested.push(url);
    const m = /^\/teachers\/tiny\/(config\.json|vocab\.txt|model\.safetensors)$/.exec(url);
    if (!m) return new Response('not found', { status: 404 });
    return new Response(readFileSync(path.join(DIR, m[1])));
  }) as unknown as typeof fetch;
}

describe('loadBuiltinTeacher', () => {
  it('fetches the three files from /teachers/<name>/ and imports the checkpoint', async () => {
    const requested: string[] = [];
    const m = await loadBuiltinTeacher('tiny', serve(requested));
    try {
      expect(requested.sort()).toEqual(['/teachers/tiny/config.json', '/teachers/tiny/model.safetensors', '/teachers/tiny/vocab.txt']);
      expect(m.numParameters).toBeGreaterThan(0);
    } finally {
      m.dispose();
    }
  });

  it('names the missing file, and refuses a name that is not a folder name', async () => {
    await expect(loadBuiltinTeacher('other', serve([]))).rejects.toThrow(/teacher other: config\.json could not be loaded from \/teachers\/other\/config\.json \(HTTP 404\)/);
    await expect(loadBuiltinTeacher('../x', serve([]))).rejects.toThrow(/not a teacher folder name/);
  });
});
