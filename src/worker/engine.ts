// The engine interface, and its two implementations:
// - InThreadEngine runs the handlers in the calling thread (Node tests, the command line),
//   passing every message through structuredClone so that it behaves as the worker does;
// - WorkerEngine is the page's proxy to a Web Worker that serves the same handlers.
// Both satisfy `Engine`, so callers cannot tell them apart.
import { CancelledError, ProtocolError, deserializeError, serializeError } from '../core/errors';
import {
  parseToWorker,
  transferablesOf,
  type FromWorker,
  type MethodName,
  type Params,
  type Progress,
  type RequestMessage,
  type Result,
  type ToWorker,
} from './protocol';

export interface CallOptions<M extends MethodName> {
  onProgress?: (p: Progress<M>) => void;
  signal?: AbortSignal;
  /** Buffers in params to transfer rather than copy (default: every whole ArrayBuffer found). */
  transfer?: Transferable[];
}

export interface Engine {
  call<M extends MethodName>(method: M, params: Params<M>, opts?: CallOptions<M>): Promise<Result<M>>;
  dispose(): void;
}

export interface HandlerContext<M extends MethodName> {
  progress(p: Progress<M>): void;
  signal: AbortSignal;
}

export type Handlers = {
  [M in MethodName]: (params: Params<M>, ctx: HandlerContext<M>) => Promise<Result<M>>;
};
/** A worker serves the methods it owns (training vs ingestion); others get a ProtocolError. */
export type HandlerSet = Partial<Handlers>;

/** Throws CancelledError if the signal fired: handlers call it between units of work. */
export function throwIfCancelled(signal: AbortSignal, what = 'operation'): void {
  if (signal.aborted) throw new CancelledError(`${what} cancelled`);
}

/**
 * The worker side: dispatches requests to handlers, streams progress, answers with a
 * result or a serialised named error, and aborts a request's signal on `cancel`.
 */
export class Dispatcher {
  private readonly running = new Map<number, AbortController>();
  constructor(
    private readonly handlers: HandlerSet,
    private readonly send: (msg: FromWorker, transfer: Transferable[]) => void,
  ) {}

  async receive(data: unknown): Promise<void> {
    const msg = parseToWorker(data);
    if (!msg) {
      const id = typeof (data as { id?: unknown })?.id === 'number' ? (data as { id: number }).id : -1;
      this.send({ type: 'error', id, method: null, error: serializeError(new ProtocolError('malformed message')) }, []);
      return;
    }
    if (msg.type === 'cancel') {
      this.running.get(msg.id)?.abort();
      return;
    }
    await this.run(msg);
  }

  private async run(req: RequestMessage): Promise<void> {
    const controller = new AbortController();
    this.running.set(req.id, controller);
    const method = req.method;
    const handler = this.handlers[method] as ((p: unknown, ctx: HandlerContext<typeof method>) => Promise<unknown>) | undefined;
    try {
      if (!handler) throw new ProtocolError(`method ${method} is not served by this worker`);
      const result = await handler(req.params, {
        signal: controller.signal,
        progress: (progress) =>
          this.send({ type: 'progress', id: req.id, method, progress } as FromWorker, []),
      });
      this.send({ type: 'result', id: req.id, method, result } as FromWorker, transferablesOf(result));
    } catch (e) {
      this.send({ type: 'error', id: req.id, method, error: serializeError(e) }, []);
    } finally {
      this.running.delete(req.id);
    }
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: never) => void;
  cleanup: () => void;
}

/** Shared client logic: request ids, pending calls, progress routing, cancel. */
abstract class ClientBase implements Engine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  protected disposed = false;

  protected abstract post(msg: ToWorker, transfer: Transferable[]): void;

  protected onMessage(msg: FromWorker): void {
    if (msg.type === 'ready') return;
    const p = this.pending.get(msg.id);
    if (!p) return; // a late message for a call that was cancelled or timed out
    if (msg.type === 'progress') {
      p.onProgress?.(msg.progress as never);
      return;
    }
    this.pending.delete(msg.id);
    p.cleanup();
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(deserializeError(msg.error));
  }

  protected failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(err);
    }
  }

  call<M extends MethodName>(method: M, params: Params<M>, opts: CallOptions<M> = {}): Promise<Result<M>> {
    if (this.disposed) return Promise.reject(new ProtocolError('engine disposed'));
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const { signal } = opts;
      const onAbort = () => this.post({ type: 'cancel', id }, []);
      if (signal?.aborted) {
        reject(new CancelledError(`${method} cancelled before it started`));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: opts.onProgress as ((p: never) => void) | undefined,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      const msg = { type: 'request', id, method, params } as RequestMessage;
      this.post(msg, opts.transfer ?? transferablesOf(params));
    });
  }

  abstract dispose(): void;
}

/** Runs handlers in this thread; messages are structured-cloned both ways, as across a worker. */
export class InThreadEngine extends ClientBase {
  private readonly dispatcher: Dispatcher;
  constructor(handlers: HandlerSet) {
    super();
    this.dispatcher = new Dispatcher(handlers, (msg, transfer) => {
      const copy = structuredClone(msg, { transfer });
      queueMicrotask(() => this.onMessage(copy));
    });
  }
  protected post(msg: ToWorker, transfer: Transferable[]): void {
    const copy = structuredClone(msg, { transfer });
    void this.dispatcher.receive(copy);
  }
  dispose(): void {
    this.disposed = true;
    this.failAll(new ProtocolError('engine disposed'));
  }
}

/** Minimal structural type of a Worker, so this file needs no DOM typings at run time. */
export interface WorkerLike {
  postMessage(msg: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error', fn: (e: { message?: string }) => void): void;
  terminate(): void;
}

/** The page's proxy to a worker that runs `serveWorker(handlers)`. */
export class WorkerEngine extends ClientBase {
  readonly ready: Promise<void>;
  constructor(private readonly worker: WorkerLike) {
    super();
    let markReady: () => void = () => {};
    this.ready = new Promise((r) => (markReady = r));
    worker.addEventListener('message', (e) => {
      const msg = e.data as FromWorker;
      if (msg?.type === 'ready') markReady();
      else this.onMessage(msg);
    });
    worker.addEventListener('error', (e) => {
      this.failAll(new ProtocolError(`worker failed: ${e.message ?? 'unknown error'}`));
    });
  }
  protected post(msg: ToWorker, transfer: Transferable[]): void {
    this.worker.postMessage(msg, transfer);
  }
  dispose(): void {
    this.disposed = true;
    this.failAll(new ProtocolError('engine disposed'));
    this.worker.terminate();
  }
}
