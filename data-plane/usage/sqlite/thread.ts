/**
 * A worker thread owning one SQLite connection, driven by request/reply messages (`{ id, ... }` →
 * `{ id, ok, ... }`). better-sqlite3 is synchronous: any statement run on the main thread stalls
 * every request in flight for its duration, so batch inserts and analytics queries run here.
 * If the thread dies, waiting requests are rejected and the next request starts a new thread.
 * The thread only keeps the process alive while a request is outstanding.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** better-sqlite3's entry, resolved here: the thread runs plain CommonJS with no module resolution context. */
export const SQLITE_DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

interface Waiting {
  resolve(reply: Record<string, unknown>): void;
  reject(err: Error): void;
}

type Reply = { id: number; ok: true } & Record<string, unknown>;
type Failure = { id: number; ok: false; message: string };

export class DbThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  /**
   * `source`: CommonJS run with `eval: true` (a worker does not inherit the TypeScript loader of
   * every runtime this runs under — tsx, vitest); it answers `{ close: true }` by closing its
   * database and its port.
   */
  constructor(
    private readonly name: string,
    private readonly source: string,
    private readonly workerData: Record<string, unknown>,
    /** Start the thread now (warm before traffic) rather than on the first request. */
    eager = true,
  ) {
    if (eager) this.spawn();
  }

  request<T extends Record<string, unknown>>(msg: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`the ${this.name} thread is closed`));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: Record<string, unknown>) => void, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ ...msg, id });
    });
  }

  /** Lets queued requests finish, then closes the database and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ close: true });
    await exited;
  }

  private spawn(): Worker {
    const worker = new Worker(this.source, {
      eval: true,
      // Not the parent's flags (a TypeScript loader, profilers): the thread runs plain CommonJS.
      execArgv: [],
      workerData: { ...this.workerData, driver: SQLITE_DRIVER },
    });
    worker.unref();
    worker.on('message', (reply: Reply | Failure) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) w.resolve(reply);
      else w.reject(new Error(`${this.name}: ${reply.message}`));
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`the ${this.name} thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
