import { useId, useState } from 'react';
import { parseTrecRun, type ParsedRun, type Rankings } from '../../core/eval/trec';
import { Explain } from '../Explain';
import { SelectField } from '../controls';
import { downloadBlob, downloadText, safeFileName } from '../download';
import type { ModelExport, ModelExportLayout } from '../models/useModels';
import { storedZip } from '../zip';
import { runConfigFromJson, runConfigToJson, type RunConfig } from '../config/runConfig';
import type { CompareRun } from '../compare/compareRun';
import { metricsToCsv, metricsToJson, parseMetricsJson, perQueryToCsv, rowsFromRuns, runsFromRows, trecRunText } from './formats';

export interface ExportSource {
  id: string;
  name: string;
}

/** The run on show: its id, name and the run config it was launched from (none for the demo). */
export interface SelectedRun {
  id: string;
  name: string;
  config?: RunConfig;
}

export interface ExportViewProps {
  /** The editor's run config (the Models and Recipe tabs). */
  config: RunConfig;
  selectedRun?: SelectedRun;
  /** Finished runs (their metrics and per-query values). */
  runs: CompareRun[];
  /** Models whose test rankings can be written as a TREC run. */
  rankingSources?: ExportSource[];
  /** Ranks the test queries with a model (in a worker). */
  onRequestRankings?: (id: string) => Promise<Rankings>;
  /** Models that can be exported as a Hugging Face checkpoint. */
  models?: ExportSource[];
  onExportModel?: (id: string, layout?: ModelExportLayout) => Promise<ModelExport>;
  /** Imported metrics files become Compare runs. */
  /** Returns how many were new (a run and seed already in Compare is not added again), or nothing when all were. */
  onImportMetrics?: (runs: CompareRun[]) => number | void;
  onImportConfig?: (c: RunConfig) => void;
  /** An imported TREC run, validated, to evaluate against the corpus's qrels. */
  onImportTrecRun?: (fileName: string, run: ParsedRun) => void;
}

type Msg = { ok: boolean; text: string } | null;

function Message({ msg, testId }: { msg: Msg; testId?: string }) {
  if (!msg) return null;
  return (
    <p role={msg.ok ? 'status' : 'alert'} className={msg.ok ? 'ok' : 'error'} data-testid={testId}>
      {msg.text}
    </p>
  );
}

/** Everything a run produces, out as files; and the files the lab reads back in. */
export function ExportView(props: ExportViewProps) {
  const { config, selectedRun, runs, rankingSources = [], models = [] } = props;
  // Metrics files hold the run on show (named after it), or every run in Compare.
  const ofSelected = selectedRun ? runs.filter((r) => r.runId === selectedRun.id) : [];
  const [scope, setScope] = useState<'run' | 'all'>('run');
  const useSelected = scope === 'run' && ofSelected.length > 0;
  const rows = rowsFromRuns(useSelected ? ofSelected : runs);
  const hasPerQuery = rows.some((r) => r.perQuery && Object.keys(r.perQuery).length > 0);
  const [rankingId, setRankingId] = useState<string | null>(null);
  const [modelId, setModelId] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [outMsg, setOutMsg] = useState<Msg>(null);
  const [inMsg, setInMsg] = useState<Msg>(null);
  const ids = { metrics: useId(), trec: useId(), config: useId() };
  const rSource = rankingSources.find((s) => s.id === rankingId) ?? rankingSources[0];
  const mSource = models.find((s) => s.id === modelId) ?? models[0];
  const base = useSelected ? safeFileName(selectedRun!.name) : 'distill-lab-all-runs';
  // The run config written: the run on show's own; the editor's when no run is shown or the
  // run was not launched from one (the demo).
  const outConfig = selectedRun?.config ?? config;

  const exportTrec = async () => {
    if (!rSource || !props.onRequestRankings) return;
    setBusy('trec');
    setOutMsg(null);
    try {
      const rankings = await props.onRequestRankings(rSource.id);
      downloadText(trecRunText(rankings, rSource.name), `${safeFileName(rSource.name)}.trec`);
      setOutMsg({ ok: true, text: `TREC run of ${rSource.name}: ${Object.keys(rankings).length} test queries ranked now, 100 deep; the score column is the model’s score of each document.` });
    } catch (e) {
      setOutMsg({ ok: false, text: `The TREC run could not be written: ${(e as Error).message}` });
    } finally {
      setBusy(null);
    }
  };
  const exportModel = async () => {
    if (!mSource || !props.onExportModel) return;
    setBusy('model');
    setOutMsg(null);
    try {
      const f = await props.onExportModel(mSource.id);
      // The names transformers' from_pretrained expects: save them into one folder.
      downloadText(f.configJson, 'config.json', 'application/json');
      downloadText(f.vocabTxt, 'vocab.txt');
      downloadBlob(new Blob([f.safetensors as BlobPart], { type: 'application/octet-stream' }), 'model.safetensors');
      setOutMsg({
        ok: true,
        text: `${mSource.name}: config.json, vocab.txt and model.safetensors downloaded. config.json also describes the tokenizer (under "distill_lab"), so importing the three in the Models tab rebuilds the same model and gives the same scores.`,
      });
    } catch (e) {
      setOutMsg({ ok: false, text: `The model could not be exported: ${(e as Error).message}` });
    } finally {
      setBusy(null);
    }
  };
  const exportStFolder = async () => {
    if (!mSource || !props.onExportModel) return;
    setBusy('model');
    setOutMsg(null);
    try {
      const f = await props.onExportModel(mSource.id, 'sentence-transformers');
      const folder = safeFileName(mSource.name);
      const zip = storedZip({ 'config.json': f.configJson, 'vocab.txt': f.vocabTxt, 'model.safetensors': f.safetensors, ...f.extraFiles }, folder);
      downloadBlob(new Blob([zip as BlobPart], { type: 'application/zip' }), `${folder}.zip`);
      const st = f.extraFiles?.['modules.json'] !== undefined;
      setOutMsg({
        ok: true,
        text: st
          ? `${mSource.name}: ${folder}.zip downloaded. Unzipped, SentenceTransformer("${folder}") loads it with the lab's pooling, normalisation, similarity and prompts; the Models tab imports the folder back.`
          : `${mSource.name}: ${folder}.zip downloaded (a Hugging Face checkpoint with tokenizer files: only a dual encoder with a WordPiece tokenizer has a sentence-transformers layout).`,
      });
    } catch (e) {
      setOutMsg({ ok: false, text: `The model could not be exported: ${(e as Error).message}` });
    } finally {
      setBusy(null);
    }
  };
  const readInto = async (file: File | undefined, kind: 'metrics' | 'trec' | 'config') => {
    if (!file) return;
    setInMsg(null);
    try {
      const text = await file.text();
      if (kind === 'metrics') {
        const imported = runsFromRows(parseMetricsJson(text), `imported-${Date.now()}`);
        if (!props.onImportMetrics) throw new Error('this page cannot add runs to Compare yet');
        const n = props.onImportMetrics(imported) ?? imported.length;
        const dup = imported.length - n;
        setInMsg({
          ok: true,
          text: `${file.name}: ${n} run${n === 1 ? '' : 's'} added to Compare.${dup ? ` ${dup} already there (the same run and seed) ${dup === 1 ? 'was' : 'were'} not added again.` : ''}`,
        });
      } else if (kind === 'trec') {
        const parsed = parseTrecRun(text, file.name);
        const nq = Object.keys(parsed.rankings).length;
        const nd = Object.values(parsed.rankings).reduce((s, r) => s + r.length, 0);
        props.onImportTrecRun?.(file.name, parsed);
        setInMsg({
          ok: true,
          text: `${file.name}: a valid TREC run “${parsed.runName}”, ${nq} queries, ${nd} ranked documents.${props.onImportTrecRun ? ' It is evaluated against the corpus’s qrels.' : ''}`,
        });
      } else {
        const cfg = runConfigFromJson(text);
        if (!props.onImportConfig) throw new Error('this page cannot load run configs here');
        props.onImportConfig(cfg);
        setInMsg({ ok: true, text: `${file.name}: run config “${cfg.name}” loaded into the Models and Recipe tabs.` });
      }
    } catch (e) {
      setInMsg({ ok: false, text: `${file.name}: ${(e as Error).message}` });
    }
  };

  return (
    <div className="export-view" data-testid="export-view">
      <section className="panel" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <Explain>
          Everything the lab produces leaves as an ordinary file: metrics as CSV or JSON (per-query values included in JSON, so
          another lab can rerun the paired tests), rankings as a TREC run that trec_eval reads, any model as a Hugging Face
          checkpoint that PyTorch <code>transformers</code> loads (config.json, vocab.txt, model.safetensors: save the three into
          one folder), and the run config that reproduces the run. Every chart has its own SVG and PNG buttons.
        </Explain>
        <h3>Results</h3>
        {runs.length === 0 ? (
          <p className="fine" data-testid="export-no-runs">
            No finished runs yet: metrics files can be written once a run has been evaluated on the test split.
          </p>
        ) : (
          <div className="button-row">
            {ofSelected.length > 0 && (
              <SelectField
                label="Results of"
                value={useSelected ? 'run' : 'all'}
                onChange={(v) => setScope(v as 'run' | 'all')}
                options={[
                  { value: 'run', label: `${selectedRun!.name} (${ofSelected.length} models)` },
                  { value: 'all', label: `every run in Compare (${runs.length} rows)` },
                ]}
                testId="export-metrics-scope"
              />
            )}
            <button type="button" onClick={() => downloadText(metricsToCsv(rows), `${base}-metrics.csv`, 'text/csv')} data-testid="export-metrics-csv">
              Metrics (CSV)
            </button>
            <button type="button" onClick={() => downloadText(metricsToJson(rows), `${base}-metrics.json`, 'application/json')} data-testid="export-metrics-json">
              Metrics (JSON)
            </button>
            <button type="button" disabled={!hasPerQuery} onClick={() => downloadText(perQueryToCsv(rows), `${base}-per-query.csv`, 'text/csv')} data-testid="export-perquery-csv">
              Per-query values (CSV)
            </button>
          </div>
        )}
        <h3>Rankings</h3>
        {rankingSources.length === 0 || !props.onRequestRankings ? (
          <p className="fine">A TREC run can be written for a trained model; none is available yet.</p>
        ) : (
          <div className="inline-form">
            <SelectField label="Model" value={rSource?.id ?? ''} onChange={setRankingId} options={rankingSources.map((s) => ({ value: s.id, label: s.name }))} testId="export-trec-model" />
            <button type="button" onClick={exportTrec} disabled={busy !== null} data-testid="export-trec">
              {busy === 'trec' ? 'Ranking the test queries…' : 'TREC run'}
            </button>
          </div>
        )}
        <h3>Models</h3>
        {models.length === 0 || !props.onExportModel ? (
          <p className="fine">A trained or imported model can be exported as a Hugging Face checkpoint; none is available yet.</p>
        ) : (
          <div className="inline-form">
            <SelectField label="Model" value={mSource?.id ?? ''} onChange={setModelId} options={models.map((s) => ({ value: s.id, label: s.name }))} testId="export-model-select" />
            <button type="button" onClick={exportModel} disabled={busy !== null} data-testid="export-model">
              {busy === 'model' ? 'Exporting…' : 'Hugging Face checkpoint'}
            </button>
            <button type="button" onClick={exportStFolder} disabled={busy !== null} data-testid="export-model-st">
              sentence-transformers folder (.zip)
            </button>
          </div>
        )}
        <h3>Run config</h3>
        <p className="fine" data-testid="export-run-config-source">
          {selectedRun?.config
            ? `The config run “${selectedRun.name}” was launched with.`
            : selectedRun
              ? `“${selectedRun.name}” was not launched from a run config (the demo): this writes the Models and Recipe tabs’ config, “${config.name}”.`
              : `The Models and Recipe tabs’ config, “${config.name}”.`}
        </p>
        <div className="button-row">
          <button type="button" onClick={() => downloadText(runConfigToJson(outConfig), `distill-lab-run-${safeFileName(outConfig.name)}.json`, 'application/json')} data-testid="export-run-config">
            Run config (JSON)
          </button>
        </div>
        <Message msg={outMsg} testId="export-message" />
      </section>

      <section className="panel" aria-labelledby="import-title">
        <h2 id="import-title">Import</h2>
        <Explain>
          Files written here come back in: a metrics JSON file adds its runs to Compare (with per-query values, the paired tests
          work on them too); a TREC run is checked line by line (an error names the line); a run config loads into the Models and
          Recipe tabs, validated field by field.
        </Explain>
        <div className="field">
          <label htmlFor={ids.metrics}>Metrics file (JSON)</label>
          <input id={ids.metrics} type="file" accept=".json,application/json" onChange={(e) => readInto(e.target.files?.[0], 'metrics').finally(() => (e.target.value = ''))} data-testid="import-metrics" />
        </div>
        <div className="field">
          <label htmlFor={ids.trec}>TREC run</label>
          <input id={ids.trec} type="file" accept=".trec,.txt,.run,text/plain" onChange={(e) => readInto(e.target.files?.[0], 'trec').finally(() => (e.target.value = ''))} data-testid="import-trec" />
        </div>
        <div className="field">
          <label htmlFor={ids.config}>Run config (JSON)</label>
          <input id={ids.config} type="file" accept=".json,application/json" onChange={(e) => readInto(e.target.files?.[0], 'config').finally(() => (e.target.value = ''))} data-testid="import-run-config" />
        </div>
        <Message msg={inMsg} testId="import-message" />
      </section>
    </div>
  );
}
