/// <reference lib="webworker" />
// The ingest worker: streams uploaded files into corpora in IndexedDB, and answers the
// corpus panel's questions (list, report, preview, storage, BM25 baseline). No tfjs here:
// parsing, BM25 and storage are plain TypeScript, so this worker starts at once.
import { LabStore } from '../store/store';
import { Dispatcher } from './engine';
import { createIngestHandlers } from './ingestHandlers';
import type { FromWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const dispatcher = new Dispatcher(createIngestHandlers({ openStore: () => LabStore.open() }), (msg: FromWorker, transfer) =>
  self.postMessage(msg, transfer),
);
self.addEventListener('message', (e) => void dispatcher.receive(e.data));
self.postMessage({ type: 'ready' } satisfies FromWorker);
