// The page's single connection to the ingest worker, and turning picked or dropped files
// into the worker's file parameters.
import { WorkerEngine } from '../../worker/engine';
import type { IngestFileParam } from '../../worker/protocol';

let engine: WorkerEngine | null = null;

export function getIngestEngine(): WorkerEngine {
  if (!engine) {
    const worker = new Worker(new URL('../../worker/ingest.worker.ts', import.meta.url), { type: 'module', name: 'ingest' });
    engine = new WorkerEngine(worker);
  }
  return engine;
}

/** A file and the path it had in a dropped or picked folder ("scifact/qrels/test.tsv"). */
export interface PickedFile {
  file: File;
  path: string;
}

/** From an <input type="file">: folder picks carry webkitRelativePath, plain picks only a name. */
export function fromFileList(list: FileList | null): PickedFile[] {
  return Array.from(list ?? [], (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** Blobs clone to the worker without copying their bytes; the names travel beside them. */
export function toIngestFiles(files: PickedFile[]): IngestFileParam[] {
  return files.map((f) => ({ name: f.path, blob: f.file }));
}

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call: read until an empty batch.
  return new Promise((resolve, reject) => {
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out);
        else {
          out.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\/+/, '') });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

/** Files of a drop, folders walked recursively (paths kept, so qrels/test.tsv is recognised). */
export async function fromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(dt.items ?? [])
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.() ?? null);
  if (entries.length === 0 || entries.some((e) => e === null)) return fromFileList(dt.files);
  const out: PickedFile[] = [];
  for (const e of entries) await walk(e!, out);
  return out;
}
