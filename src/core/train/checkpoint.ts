// A training checkpoint as one self-describing buffer: safetensors (F32 tensors: every
// model weight and optimiser moment) with the rest of the state (step, phase, sampler and
// layer-selector state, RNG states, the run config) as JSON in its metadata. The store
// chunks and checksums it; this module only encodes and decodes it, and validates both ways.
import { CheckpointError } from '../errors';
import { parseSafetensors, tensorToFloat32, writeSafetensors, type TensorToWrite } from '../model/safetensors';

export const CHECKPOINT_FORMAT = 'distill-lab-checkpoint/1';

export interface CheckpointContent {
  /** Everything that is not a tensor: must be JSON-serialisable. */
  state: Record<string, unknown>;
  /** name -> tensor (e.g. "student/encoder.layer.0.attention.self.query.weight", "opt/student/m/..."). */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export function encodeCheckpoint(c: CheckpointContent): Uint8Array {
  const list: TensorToWrite[] = [];
  for (const [name, t] of c.tensors) {
    if (!t.data.every(Number.isFinite)) throw new CheckpointError(`refusing to checkpoint a non-finite tensor: ${name}`, { tensor: name });
    list.push({ name, shape: t.shape, data: t.data });
  }
  return writeSafetensors(list, { format: CHECKPOINT_FORMAT, state: JSON.stringify(c.state) });
}

export function decodeCheckpoint(bytes: ArrayBuffer | Uint8Array): CheckpointContent {
  const file = parseSafetensors(bytes);
  if (file.metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`not a Distill Lab checkpoint (format "${file.metadata.format ?? 'none'}", expected ${CHECKPOINT_FORMAT})`);
  }
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(file.metadata.state ?? '');
  } catch {
    throw new CheckpointError('checkpoint state is not valid JSON');
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of file.entries) tensors.set(e.name, { shape: e.shape, data: tensorToFloat32(file, e) });
  return { state, tensors };
}

/** The tensors under a prefix ("student/"), with the prefix removed. */
export function tensorsUnder(c: CheckpointContent, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of c.tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t.data);
  return out;
}
