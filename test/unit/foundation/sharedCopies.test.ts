// The repository carries its own copies of the team's reference material (../shared), so that a
// clone stands alone: every file of each shared folder below must have a byte-identical copy at
// its place in the repository. Compared with DISTILL_SHARED when set (CI runs the tests from a
// clone with no ../shared beside it and points this variable at the real one), else with
// ../shared beside the repository; skipped, saying so, where neither exists.
//
// This is the one file allowed to read outside the repository (test/unit/foundation/standalone.test.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const sharedDir = resolve(process.env.DISTILL_SHARED ?? join(root, '..', 'shared'));
const haveShared = existsSync(sharedDir);

/** [path under shared/, its copy in the repository]: a folder (every file in it) or one file. */
const COPIES: [string, string][] = [
  ['golden', 'test/golden'],
  ['datasets/scifact', 'test/data/scifact'],
  ['bench/torch_lead.py', 'tools/bench/torch_lead.py'],
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe(`copies of shared/ in the repository (against ${sharedDir})`, () => {
  for (const [from, to] of COPIES) {
    it(`${to} is shared/${from}, byte for byte`, (ctx) => {
      if (!haveShared) {
        const why = `no ${sharedDir} here (set DISTILL_SHARED to compare): ${to} not checked against it`;
        console.warn(`skipped: ${why}`);
        ctx.skip(why);
      }
      const src = join(sharedDir, from);
      expect(existsSync(src), `${src} is missing`).toBe(true);
      const files = statSync(src).isDirectory() ? filesUnder(src).map((f) => relative(src, f)) : [''];
      expect(files.length).toBeGreaterThan(0);
      const missing: string[] = [];
      const differ: string[] = [];
      for (const f of files) {
        const copy = join(root, to, f);
        if (!existsSync(copy)) missing.push(relative(root, copy));
        else if (!readFileSync(copy).equals(readFileSync(join(src, f)))) differ.push(relative(root, copy));
      }
      expect(missing, `copy shared/${from} to ${to} again`).toEqual([]);
      expect(differ, `these copies differ from shared/${from}: copy them again`).toEqual([]);
    });
  }
});
