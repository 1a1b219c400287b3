// Named errors. Every error the lab raises on purpose is one of these, so that it can
// cross the worker boundary as {name, message, details} and be rebuilt on the other side.

export class DistillLabError extends Error {
  /** Structured context (file, line, list of tensors, ...) shown to the user. */
  readonly details?: Record<string, unknown>;
  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DistillLabError';
    this.details = details;
  }
}

// Each class names itself in a field: a production build minifies class names, so
// `new.target.name` would cross the worker boundary as "Y3" instead of "CheckpointError".

/** WebGPU is missing or unusable in this browser. */
export class WebGPUUnavailableError extends DistillLabError {
  override name = 'WebGPUUnavailableError';
}
/** A backend's start-up self-check disagreed with the CPU reference. */
export class BackendSelfCheckError extends DistillLabError {
  override name = 'BackendSelfCheckError';
}
/** A corpus file could not be parsed; names file, line and reason. */
export class CorpusFormatError extends DistillLabError {
  override name = 'CorpusFormatError';
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    details?: Record<string, unknown>,
  ) {
    super(file ? `${file}${line !== undefined ? `:${line}` : ''}: ${message}` : message, {
      ...details,
      file,
      line,
    });
  }
}
/** The browser refused to store more data (IndexedDB QuotaExceededError). */
export class StorageQuotaError extends DistillLabError {
  override name = 'StorageQuotaError';
}
/** A loss became NaN or infinite during training. */
export class NonFiniteLossError extends DistillLabError {
  override name = 'NonFiniteLossError';
}
/**
 * The loss kept blowing up (over 5x its running median) after the trainer had gone back to
 * the last healthy state at ever lower learning rates (train/health.ts); a non-finite loss
 * in the same situation is a NonFiniteLossError.
 */
export class TrainingDivergedError extends DistillLabError {
  override name = 'TrainingDivergedError';
}
/** A configuration object failed validation. */
export class ConfigError extends DistillLabError {
  override name = 'ConfigError';
}
/** A checkpoint (ours or Hugging Face) is malformed, mismatched or corrupt. */
export class CheckpointError extends DistillLabError {
  override name = 'CheckpointError';
}
/**
 * A checkpoint of an architecture, tokenizer or file format the lab does not read (it says
 * what is supported and, where there is one, how to convert).
 */
export class UnsupportedModelError extends DistillLabError {
  override name = 'UnsupportedModelError';
}
/** The Hugging Face Hub (or the endpoint set) has no such repository, revision or file (404). */
export class HubNotFoundError extends DistillLabError {
  override name = 'HubNotFoundError';
}
/** The Hub refused access (401/403): a gated or private repository, or a bad token. */
export class HubAccessError extends DistillLabError {
  override name = 'HubAccessError';
}
/** The Hub could not be reached (offline, DNS, refused connection, or blocked by CORS). */
export class HubNetworkError extends DistillLabError {
  override name = 'HubNetworkError';
}
/** A downloaded file's size or sha256 differs from what the Hub states; nothing was stored. */
export class HubIntegrityError extends DistillLabError {
  override name = 'HubIntegrityError';
}
/** Any other failed Hub request (5xx, rate limits, malformed answers). */
export class HubRequestError extends DistillLabError {
  override name = 'HubRequestError';
}
/** The user cancelled a long operation. */
export class CancelledError extends DistillLabError {
  override name = 'CancelledError';
}
/** A request or message violated the page <-> worker protocol. */
export class ProtocolError extends DistillLabError {
  override name = 'ProtocolError';
}

const registry = {
  DistillLabError,
  WebGPUUnavailableError,
  BackendSelfCheckError,
  CorpusFormatError,
  StorageQuotaError,
  NonFiniteLossError,
  TrainingDivergedError,
  ConfigError,
  CheckpointError,
  CancelledError,
  ProtocolError,
  UnsupportedModelError,
  HubNotFoundError,
  HubAccessError,
  HubNetworkError,
  HubIntegrityError,
  HubRequestError,
} as const;

export type ErrorName = keyof typeof registry;

/** The serialisable form of an error, as it crosses threads. */
export interface SerializedError {
  name: string;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const details = err instanceof DistillLabError ? err.details : undefined;
    return { name: err.name, message: err.message, details, stack: err.stack };
  }
  return { name: 'Error', message: String(err) };
}

/** Rebuilds a named error; unknown names become a plain Error with that name. */
export function deserializeError(e: SerializedError): Error {
  const Ctor = (registry as Record<string, typeof DistillLabError>)[e.name];
  let err: Error;
  if (Ctor === CorpusFormatError) {
    // The message already carries file:line, keep it verbatim.
    err = Object.create(CorpusFormatError.prototype) as Error;
    Object.assign(err, { message: e.message, details: e.details });
    err.name = 'CorpusFormatError';
    const d = e.details ?? {};
    Object.assign(err, { file: d.file, line: d.line });
  } else if (Ctor) {
    err = new Ctor(e.message, e.details);
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}
