// A clone of the repository stands alone: nothing that the tests, the bench or a documented
// command runs reads a path outside it (the team's ../shared in particular: its golden files,
// SciFact and the PyTorch anchor have copies in test/golden, test/data/scifact and tools/bench).
// Scanned: the code under src/, test/, tools/ and .ci/, and the root config files. In
// TypeScript and JavaScript the strings of the syntax tree are looked at (comments are not): a
// relative import must resolve inside the repository, and no other string may name ../shared,
// shared/'s folders (golden, datasets, bench, spec, hooks) or an absolute path into a shared/
// folder, nor may code read a *SHARED* environment variable. Elsewhere (Python, shell, HTML,
// JSON) the same patterns are searched in the text without its comments.
// CI runs the suite from a copy of the clone with no ../shared beside it (.ci/run).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Files allowed to name shared/, and why. */
const ALLOWED: Record<string, string> = {
  'test/unit/foundation/sharedCopies.test.ts': 'compares the copies with shared/ (skips without it)',
  'test/unit/foundation/standalone.test.ts': 'this scan: its own examples',
  '.ci/run': 'hands shared/ to that comparison (DISTILL_SHARED) and runs the suite where no ../shared exists',
};
const SCANNED_DIRS = ['src', 'test', 'tools', '.ci'];
const ROOT_FILES = ['package.json', 'tsconfig.json', 'vite.config.ts', 'vitest.config.ts', 'eslint.config.js', 'index.html', '.npmrc'];
/** Data, not code (test/golden and test/data are the copies themselves). */
const SKIPPED_DIRS = new Set(['node_modules', 'test/golden', 'test/data', 'test-results', 'dist']);
const CODE = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx']);
const TEXT = new Set(['.py', '.sh', '.html', '.json', '']);

const OUTSIDE: [RegExp, string][] = [
  [/(^|[\\/])\.\.[\\/]+shared([\\/]|$)/, '../shared'],
  [/(^|[\\/])shared[\\/]+(golden|datasets|bench|spec|hooks)([\\/]|$)/, "a folder of shared/"],
  [/^\/(.*\/)?shared([\\/]|$)/, 'an absolute path into a shared/ folder'],
  [/(^|[^\w])\/work\/shared([\\/]|$|[^\w])/, 'an absolute path into a shared/ folder'],
];

function textProblems(s: string): string[] {
  return OUTSIDE.filter(([re]) => re.test(s)).map(([, what]) => what);
}

/** The problems of one TypeScript/JavaScript source, as "line: what (text)". */
function scanCode(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : undefined);
  const out: string[] = [];
  const at = (n: ts.Node, what: string) =>
    out.push(`${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${what} (${n.getText(sf).slice(0, 120)})`);
  const isModuleSpecifier = (n: ts.Node) => {
    const p = n.parent;
    return (
      ((ts.isImportDeclaration(p) || ts.isExportDeclaration(p)) && p.moduleSpecifier === n) ||
      (ts.isCallExpression(p) && p.expression.kind === ts.SyntaxKind.ImportKeyword) ||
      (ts.isLiteralTypeNode(p) && ts.isImportTypeNode(p.parent))
    );
  };
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      const s = n.text;
      if (isModuleSpecifier(n)) {
        if (s.startsWith('.')) {
          const target = resolve(dirname(resolve(root, file)), s);
          if (relative(root, target).startsWith('..')) at(n, 'an import from outside the repository');
        }
      } else {
        for (const what of textProblems(s)) at(n, what);
        // path.join(x, '..', 'shared', ...)
        if (s === 'shared' && ts.isCallExpression(n.parent) &&
          n.parent.arguments.some((a) => ts.isStringLiteralLike(a) && /(^|[\\/])\.\.$/.test(a.text))) at(n, '../shared');
      }
    }
    // process.env.DISTILL_SHARED, process.env['SHARED_DIR']
    if ((ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n)) && /^process\.env$/.test(n.expression.getText(sf))) {
      const name = ts.isPropertyAccessExpression(n) ? n.name.text : ts.isStringLiteralLike(n.argumentExpression) ? n.argumentExpression.text : '';
      if (/SHARED/i.test(name)) at(n, 'an environment variable naming shared/');
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The same patterns in a file that is not TypeScript/JavaScript, its comments removed. */
function scanText(file: string, source: string): string[] {
  const ext = extname(file);
  let text = source;
  if (ext === '.html') text = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  if (ext === '.py') text = text.replace(/("""|''')[\s\S]*?\1/g, (c) => c.replace(/[^\n]/g, ' '));
  if (ext === '.py' || ext === '.sh' || ext === '') text = text.replace(/(^|\s)#.*$/gm, '$1');
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    // Path-like words, so that a sentence ending "...shared/" does not count but "../shared/x" does.
    for (const word of line.match(/[^\s'"`()=,;:<>{}[\]]+/g) ?? []) {
      for (const what of textProblems(word)) out.push(`${i + 1}: ${what} (${line.trim().slice(0, 120)})`);
    }
    if (/\b\w*SHARED\w*\b/.test(line) && !/SIMD_WASM_SHARED/.test(line) && ext !== '.json') {
      out.push(`${i + 1}: an environment variable naming shared/ (${line.trim().slice(0, 120)})`);
    }
  });
  return out;
}

function scannedFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(p) && !SKIPPED_DIRS.has(e.name)) walk(p);
      } else if (e.isFile() && (CODE.has(extname(p)) || TEXT.has(extname(p)))) {
        out.push(p);
      }
    }
  };
  for (const d of SCANNED_DIRS) {
    try {
      walk(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  for (const f of ROOT_FILES) {
    try {
      readFileSync(join(root, f));
      out.push(f);
    } catch {
      // not there
    }
  }
  return out;
}

describe('the repository stands alone', () => {
  it('no code, test, tool or config reads a path outside the repository (../shared)', () => {
    const files = scannedFiles();
    expect(files.length).toBeGreaterThan(100);
    const problems: string[] = [];
    for (const f of files) {
      if (f in ALLOWED) continue;
      const source = readFileSync(join(root, f), 'utf8');
      const found = CODE.has(extname(f)) ? scanCode(f, source) : scanText(f, source);
      problems.push(...found.map((p) => `${f}:${p}`));
    }
    expect(problems, 'use the copies in test/golden, test/data, tools/bench (see sharedCopies.test.ts)').toEqual([]);
  });

  it('the scan finds what it should, and only that', () => {
    const bad = [
      "const G = resolve(here, '../../../../shared/golden/losses.json');",
      "const S = path.join(path.resolve(repoRoot, '../shared'), 'datasets/scifact');",
      "const S = path.join(root, '..', 'shared', 'golden');",
      "const x = readFileSync('/work/shared/bench/torch_lead.py');",
      'const d = `${root}/../shared/datasets/${name}`;',
      "const d = process.env.DISTILL_SHARED ?? here;",
      "import x from '../../../../shared/golden/x.json';",
      "const g = path.join(dir, 'shared/golden');",
    ];
    for (const b of bad) expect(scanCode('test/unit/x/y.test.ts', b), b).not.toEqual([]);
    const good = [
      "import { composite } from '../../shared/fusedChecks';", // test/shared, inside
      "// reads ../shared/golden: no longer",
      "/* shared/spec/benchmark.md */ const x = 1;",
      "const s = 'Too few shared queries for a test.';",
      "const G = resolve(here, '../../golden/losses.json');",
      "export const SIMD_WASM_SHARED_BASE64 = 'AA';",
    ];
    for (const g of good) expect(scanCode('test/unit/x/y.test.ts', g), g).toEqual([]);
    expect(scanText('.ci/x', 'cp ../shared/golden x')).not.toEqual([]);
    expect(scanText('.ci/x', 'DISTILL_SHARED=/x npm test')).not.toEqual([]);
    expect(scanText('.ci/x', '# ../shared is beside the clone\necho ok')).toEqual([]);
    expect(scanText('t.py', '"""anchor of shared/spec/benchmark.md"""\nopen("../shared/bench/x")')).not.toEqual([]);
    expect(scanText('t.py', '"""anchor of shared/spec/benchmark.md"""\nimport torch  # see shared/bench')).toEqual([]);
  });
});
