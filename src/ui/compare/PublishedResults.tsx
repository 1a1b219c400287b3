import { useEffect, useState } from 'react';
import { Explain } from '../Explain';

/** public/results/<name>/results.json as written by `npm run lab -- --out` (the CLI contract). */
interface PublishedFile {
  corpus: string;
  split: string;
  command?: string;
  commands?: string[];
  summary: { recipe: string; seeds: number; metrics: Record<string, { mean: number; std: number }> }[];
}

/** The studies committed with the lab (README "Results"), served from public/results/. */
export const PUBLISHED = [{ id: 'demo-quick', title: 'Built-in world (default): the Quick demo, shipped teacher into a DE 2x32 student, 3 seeds' }] as const;

const LABEL: Record<string, string> = { bm25: 'BM25', baseline: 'student alone', kd: 'response KD', lead: 'LEAD', prod: 'PROD' };
const METRICS = [
  ['mrr@10', 'MRR@10'],
  ['ndcg@10', 'nDCG@10'],
  ['recall@100', 'Recall@100'],
] as const;

function isPublished(x: unknown): x is PublishedFile {
  const o = x as PublishedFile;
  return typeof o === 'object' && o !== null && typeof o.corpus === 'string' && Array.isArray(o.summary);
}

/** One committed study: its table (mean ± sample standard deviation over seeds) and command. */
function Study({ id, title }: { id: string; title: string }) {
  const [data, setData] = useState<PublishedFile | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const url = `${import.meta.env.BASE_URL}results/${id}/results.json`;
    fetch(url)
      .then(async (r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        const j: unknown = await r.json();
        if (!isPublished(j)) throw new Error(`${url}: not a results file of npm run lab (no "corpus" or "summary")`);
        if (live) setData(j);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [id]);
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!data) return <p className="fine">Loading {title}…</p>;
  return (
    <figure className="published-study" data-testid={`published-${id}`}>
      <figcaption>
        <strong>{title}</strong>: {data.corpus}, {data.split} split
      </figcaption>
      <table>
        <thead>
          <tr>
            <th scope="col">run</th>
            <th scope="col">seeds</th>
            {METRICS.map(([, l]) => (
              <th scope="col" key={l}>{l}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.summary.map((row) => (
            <tr key={row.recipe}>
              <th scope="row">{LABEL[row.recipe] ?? row.recipe.replace(/^teacher:/, 'teacher: ')}</th>
              <td>{row.seeds}</td>
              {METRICS.map(([k]) => (
                <td key={k}>{row.metrics[k] ? `${row.metrics[k].mean.toFixed(4)} ± ${row.metrics[k].std.toFixed(4)}` : '–'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="fine">
        Produced by: {(data.commands ?? (data.command ? [data.command] : [])).map((c) => <code key={c}>{c}</code>)}
      </p>
    </figure>
  );
}

/** The committed results, so a newcomer sees what a full-length run gives before starting one. */
export function PublishedResults() {
  return (
    <section className="panel" aria-labelledby="published-title" data-testid="published-results">
      <h2 id="published-title">Published results</h2>
      <Explain>
        What longer runs gave on this project’s machines (two CPU cores, no GPU), from the command line (
        <code>npm run lab</code>), with the metrics of section 6 of algorithms.md on the held-out test queries: mean ± sample
        standard deviation over seeds. The README’s “Results” section explains them: the teacher learns, the student is the
        bottleneck, and only response KD comes out ahead of the student alone, within the spread over seeds.
      </Explain>
      {PUBLISHED.map((p) => (
        <Study key={p.id} id={p.id} title={p.title} />
      ))}
    </section>
  );
}
