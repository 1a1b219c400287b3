import { BackendPanel } from './panels/BackendPanel';
import { CorpusPanel } from './panels/CorpusPanel';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Distill Lab</h1>
        <p className="tagline">
          Knowledge distillation for dense retrieval, in your browser: train a teacher and a student, then distil
          with LEAD (per-layer distribution alignment) or PROD (progressive teachers and data).
        </p>
      </header>
      <main>
        <BackendPanel />
        <CorpusPanel />
      </main>
    </div>
  );
}
