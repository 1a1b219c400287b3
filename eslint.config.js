import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// DOM and worker globals that must never appear in src/core (pure math + tfjs only).
const domAndWorkerGlobals = [
  'window', 'document', 'navigator', 'self', 'postMessage', 'onmessage', 'indexedDB',
  'localStorage', 'sessionStorage', 'Worker', 'importScripts', 'location', 'fetch',
  'HTMLElement', 'Blob', 'FileReader', 'caches',
].map((name) => ({ name, message: 'src/core is pure: no DOM, worker or network APIs.' }));

// No HTML from strings anywhere in the app: React renders text, and the page's CSP
// (tools/csp.ts) is the second line, not the first. Core selectors, no plugin; a later config
// block that sets no-restricted-syntax for src/ files replaces these, so add to this list.
const htmlSinks = [
  { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML'], Property[key.name='dangerouslySetInnerHTML']", message: 'No dangerouslySetInnerHTML: render the text as React children.' },
  { selector: "AssignmentExpression > MemberExpression.left[property.name=/^(innerHTML|outerHTML)$/]", message: 'No innerHTML/outerHTML assignment: set textContent or build elements.' },
  { selector: "AssignmentExpression > MemberExpression.left[computed=true][property.value=/^(innerHTML|outerHTML)$/]", message: 'No innerHTML/outerHTML assignment: set textContent or build elements.' },
  { selector: "CallExpression > MemberExpression.callee[property.name='insertAdjacentHTML']", message: 'No insertAdjacentHTML: use insertAdjacentText or build elements.' },
  { selector: "CallExpression > MemberExpression.callee[object.name='document'][property.name=/^(write|writeln)$/]", message: 'No document.write: build elements.' },
];

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'test-results', 'public', 'coverage', '.scratch*/**', 'out/**', 'src/core/kernels/simd/assembly/**', 'src/core/kernels/simd/binary.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    rules: { 'no-restricted-syntax': ['error', ...htmlSinks] },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['react', 'react-dom', 'recharts', 'idb'].map((name) => ({
          name, message: 'src/core is pure TypeScript + tfjs: no UI or storage imports.',
        })),
        patterns: [
          { group: ['react-dom/*', 'recharts/*', 'idb/*', '**/store/**', '**/ui/**', '**/worker/**'], message: 'src/core must not import UI, storage or worker code.' },
        ],
      }],
      'no-restricted-globals': ['error', ...domAndWorkerGlobals],
    },
  },
);
