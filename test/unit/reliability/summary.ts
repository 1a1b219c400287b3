// `npm run test:reliability` ends here: merges the suite's parts into
// test-results/reliability.json and prints it as a short table.
import { aggregate } from './harness';

const s = aggregate();
const rows = Object.entries(s.byCategory).map(([c, v]) => [c, String(v.cases), String(v.failed)]);
const w = Math.max(8, ...rows.map((r) => r[0].length));
const out = [`${'category'.padEnd(w)}  cases  failed`, ...rows.map(([c, n, f]) => `${c.padEnd(w)}  ${n.padStart(5)}  ${f.padStart(6)}`)];
out.push(`${'total'.padEnd(w)}  ${String(s.cases).padStart(5)}  ${String(s.failed).padStart(6)}`, '');
out.push('outcomes: ' + Object.entries(s.errorsByClass).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', '));
for (const f of s.failures) out.push(`FAILED ${f.category}: ${f.name}: ${f.reason}`);
out.push('(test-results/reliability.json)');
console.log(out.join('\n'));
