// The lint rule that keeps HTML-from-strings out of src/ (eslint.config.js, htmlSinks) is
// checked through ESLint's own Node API, so that it cannot silently disappear from the config.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function lint(code: string, file = 'src/ui/lintProbe.tsx') {
  const eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'eslint.config.js') });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => `${m.line}: ${m.message}`);
}

describe('lint: no HTML from strings in src/', () => {
  it('reports innerHTML, outerHTML, insertAdjacentHTML, document.write and dangerouslySetInnerHTML', async () => {
    const code = [
      'export function A({ x, el }: { x: string; el: HTMLElement }) {',
      '  el.innerHTML = x;',
      '  el.outerHTML = x;',
      "  el['innerHTML'] = x;",
      "  el.insertAdjacentHTML('beforeend', x);",
      '  document.write(x);',
      '  return <div dangerouslySetInnerHTML={{ __html: x }} />;',
      '}',
    ].join('\n');
    const found = await lint(code);
    expect(found).toEqual([
      expect.stringMatching(/^2: No innerHTML/),
      expect.stringMatching(/^3: No innerHTML\/outerHTML/),
      expect.stringMatching(/^4: No innerHTML/),
      expect.stringMatching(/^5: No insertAdjacentHTML/),
      expect.stringMatching(/^6: No document\.write/),
      expect.stringMatching(/^7: No dangerouslySetInnerHTML/),
    ]);
  }, 60_000);

  it('leaves text alone: textContent, reading innerHTML, React children', async () => {
    const code = [
      'export function B({ x, el }: { x: string; el: HTMLElement }) {',
      '  el.textContent = x;',
      '  console.log(el.innerHTML);',
      '  return <div>{x}</div>;',
      '}',
    ].join('\n');
    expect(await lint(code, 'src/core/lintProbe.tsx')).toEqual([]);
    expect(await lint(code)).toEqual([]);
  }, 60_000);
});
