// The training worker's run methods: train (create or resume), listRuns, runEvents, deleteRun.
// A run's events are appended to its stored series as they come (batched), its results to the
// run record as each finishes, and every phase's checkpoints go to the store; so a reload
// loses at most the steps since the last checkpoint, and `train` with `resume` continues.
// One tab trains a run at a time: a Web Lock named after the run guards it.
import * as tf from '@tensorflow/tfjs';
import { CancelledError, DistillLabError, serializeError } from '../core/errors';
import { runExperiment, validateExperiment, type RunResult } from '../core/distill/experiment';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContent } from '../core/train/checkpoint';
import type { ModelConfig } from '../core/model/config';
import type { ModelInfo } from '../store/schema';
import { LabStore } from '../store/store';
import { loadStoredModel, type FinalCheckpointInfo } from './modelHandlers';
import type { HandlerContext, Handlers } from './engine';
import type { RunSummary, TrainProgress } from './protocol';

export type RunHandlers = Pick<Handlers, 'train' | 'listRuns' | 'runEvents' | 'deleteRun'>;

/** The series every run's events are stored under. */
export const EVENT_SERIES = 'events';

interface LockManager {
  request<T>(name: string, opts: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<T>): Promise<T>;
}

function lockManager(): LockManager | null {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks ?? null;
}

export class RunLockedError extends DistillLabError {
  override name = 'RunLockedError';
}

/**
 * The stored series is append-only. A run resumed from a checkpoint at step k re-emits the
 * steps after k that were stored before the interruption; the timeline the run actually
 * continued is the later one, so each phase's earlier events from step k on are dropped.
 * Training-health events stay: a divergence the trainer recovered from (by going back to an
 * earlier step, which re-runs the steps after it the same way) is part of the run's story.
 */
export function rewindResumed(events: TrainProgress[]): TrainProgress[] {
  const out: TrainProgress[] = [];
  const last = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'step') {
      const prev = last.get(e.phase);
      if (prev !== undefined && e.step <= prev) {
        for (let i = out.length - 1; i >= 0; i--) {
          const o = out[i];
          if (o.type !== 'health' && 'phase' in o && o.phase === e.phase && 'step' in o && typeof o.step === 'number' && o.step >= e.step) out.splice(i, 1);
        }
      }
      last.set(e.phase, e.step);
    }
    out.push(e);
  }
  return out;
}

const RECIPE_LABEL: Record<string, string> = { baseline: 'student alone', kd: 'response KD student', lead: 'LEAD student', prod: 'PROD student' };

/**
 * The checkpoint info stored with a model's final weights ("final:teacher<i>", "final:<recipe>"),
 * so the Models and Export tabs list it without decoding the checkpoint. Null for other checkpoints.
 */
export function finalCheckpointInfo(name: string, c: CheckpointContent): FinalCheckpointInfo | null {
  const cfg = c.state.config as ModelConfig | undefined;
  const tok = c.state.tokenizer as { kind?: string } | undefined;
  if (!name.startsWith('final:') || !cfg || !tok) return null;
  let params = 0;
  for (const t of c.tensors.values()) params += t.data.length;
  const recipe = typeof c.state.recipe === 'string' ? c.state.recipe : null;
  const specName = String(c.state.name ?? name.slice(6));
  const model: ModelInfo = {
    kind: cfg.kind, layers: cfg.layers, hidden: cfg.hidden, heads: cfg.heads, ffn: cfg.ffn,
    maxQueryLen: cfg.maxQueryLen, maxPassageLen: cfg.maxPassageLen, maxPositions: cfg.maxPositions,
    vocabSize: cfg.vocabSize, params, tokenizer: String(tok.kind),
  };
  return recipe
    ? { final: true, role: recipe, name: RECIPE_LABEL[recipe] ?? `${recipe} student`, model }
    : { final: true, role: `teacher:${specName}`, name: specName, model };
}

export function createRunHandlers(openStore: () => Promise<LabStore> = () => LabStore.open()): RunHandlers {
  let store: Promise<LabStore> | null = null;
  const db = () => (store ??= openStore());

  async function train(params: { runId: string; name: string; corpusId: string; config: unknown; resume?: boolean; runConfig?: unknown }, ctx: HandlerContext<'train'>) {
    const s = await db();
    const config = validateExperiment(params.config);
    const existing = await s.getRun(params.runId);
    if (params.resume && !existing) throw new DistillLabError(`There is no run "${params.runId}" to resume.`, { runId: params.runId });
    if (existing?.corpusDeleted) throw new DistillLabError(`Run "${existing.name}" cannot resume: its corpus "${existing.corpusDeleted.name}" was deleted.`);
    const corpus = await s.loadCorpus(params.corpusId);
    const now = Date.now();
    const prior = ((existing?.summary?.results as RunResult[] | undefined) ?? []).slice();
    // The page's run config (kept across resumes): every summary written below carries it.
    const runConfig = params.runConfig ?? existing?.summary?.runConfig;
    const keep = runConfig === undefined ? {} : { runConfig };
    await s.putRun({
      id: params.runId,
      name: params.name,
      corpusId: params.corpusId,
      config,
      status: 'running',
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      summary: { results: params.resume ? prior : [], ...keep },
    });

    // Events: forwarded at once, stored in batches (appends never rewrite earlier batches).
    let pending: TrainProgress[] = [];
    let flushing: Promise<unknown> = Promise.resolve();
    const flush = () => {
      if (pending.length === 0) return flushing;
      const batch = pending;
      pending = [];
      flushing = flushing.then(() => s.appendSeries(params.runId, EVENT_SERIES, batch));
      return flushing;
    };
    const send = (p: TrainProgress) => {
      ctx.progress(p);
      pending.push(p);
      if (pending.length >= 25 || (p.type !== 'step' && p.type !== 'log')) void flush();
    };
    const results: RunResult[] = params.resume ? prior : [];
    // Which backend computes this run, in its stored log (the page shows the chosen one).
    send({ type: 'log', message: `${params.resume ? 'resuming' : 'training'} on the ${tf.getBackend()} backend` });
    const body = async () => {
      try {
        const out = await runExperiment(corpus, config, {
          signal: ctx.signal,
          onEvent: send,
          onLog: (message) => send({ type: 'log', message }),
          onResult: (r) => {
            if (!results.some((x) => x.recipe === r.recipe && x.seed === r.seed)) results.push(r);
            send({ type: 'result', result: r });
            void s.updateRun(params.runId, { summary: { results, ...keep }, updatedAt: Date.now() });
          },
          saveCheckpoint: async (name, c) => {
            const final = finalCheckpointInfo(name, c);
            await s.saveCheckpoint(params.runId, name, encodeCheckpoint(c), { step: (c.state as { step?: number }).step ?? null, ...final });
          },
          loadPretrained: (id) => loadStoredModel(s, id),
          resume: params.resume
            ? {
                results: prior,
                loadCheckpoint: async (name) => {
                  const have = (await s.listCheckpoints(params.runId)).some((m) => m.name === name);
                  return have ? decodeCheckpoint((await s.loadCheckpoint(params.runId, name)).bytes) : null;
                },
              }
            : undefined,
        });
        await flush();
        await s.updateRun(params.runId, { status: 'done', summary: { results: out, ...keep }, updatedAt: Date.now() });
        return { runId: params.runId, results: out };
      } catch (e) {
        await flush().catch(() => {});
        const paused = e instanceof CancelledError;
        await s.updateRun(params.runId, {
          status: paused ? 'paused' : 'failed',
          updatedAt: Date.now(),
          ...(paused ? {} : { error: { name: serializeError(e).name, message: serializeError(e).message } }),
        });
        throw e;
      }
    };
    const locks = lockManager();
    if (!locks) return body();
    return locks.request(`distill-lab-run:${params.runId}`, { ifAvailable: true }, async (lock) => {
      if (!lock) throw new RunLockedError(`Run "${params.name}" is already training in another tab or window.`, { runId: params.runId });
      return body();
    });
  }

  return {
    train: (params, ctx) => train(params, ctx),
    async listRuns() {
      const s = await db();
      const runs = await s.listRuns();
      return runs
        .map((r): RunSummary => ({
          id: r.id,
          name: r.name,
          corpusId: r.corpusId,
          status: r.status,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
          config: r.config as RunSummary['config'],
          results: ((r.summary?.results as RunResult[] | undefined) ?? []),
          error: r.error,
          ...(r.summary?.runConfig !== undefined ? { runConfig: r.summary.runConfig } : {}),
        }))
        .sort((a, b) => b.createdAt - a.createdAt);
    },
    async runEvents(params) {
      const s = await db();
      return rewindResumed(await s.readSeries<TrainProgress>(params.runId, EVENT_SERIES));
    },
    async deleteRun(params) {
      const s = await db();
      return { deleted: await s.deleteRun(params.runId) };
    },
  };
}
