/**
 * Writes usage batches to the SQLite file from a worker thread. better-sqlite3 is synchronous:
 * a 500-event batch is ~10 ms of blocking work, which on the main thread would stall every request
 * in flight (p99). The worker owns its own connection (WAL: the main thread's connection keeps
 * reading — ledger, usage API — while it writes); `write()` resolves once the batch is committed.
 * If the thread dies, waiting writes are rejected (the delivery spools them) and the next write
 * starts a new thread.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { EVENT_COLUMNS, type UsageEvent } from '../event.js';
import { WRITER_SOURCE } from './writer-source.js';

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/** Batch markers (usage_batches) are kept this long: far longer than any batch stays in flight. */
const KEEP_MARKERS_MS = 15 * 60_000;

interface Waiting {
  resolve(): void;
  reject(err: Error): void;
}

type Reply = { id: number; ok: true } | { id: number; ok: false; message: string };

export class SqliteWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  constructor(private readonly path: string) {
    this.spawn();
  }

  /** Inserts the events (INSERT OR IGNORE) and, when given, the batch's `seq` marker, in one transaction. */
  write(events: readonly UsageEvent[], seq: string | null): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the usage database writer is closed'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Only keeps the process alive while a write is outstanding.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ id, events, seq });
    });
  }

  /** Lets queued writes finish, then closes the database and ends the thread. */
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
    const worker = new Worker(WRITER_SOURCE, {
      eval: true,
      // Not the parent's flags (a TypeScript loader, profilers): the thread runs plain CommonJS.
      execArgv: [],
      workerData: {
        path: this.path,
        driver: DRIVER,
        columns: EVENT_COLUMNS,
        keepMarkersMs: KEEP_MARKERS_MS,
        pruneEveryMs: 60_000,
      },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) w.resolve();
      else w.reject(new Error(`usage database write failed: ${reply.message}`));
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`the usage database writer thread exited (code ${code})`)));
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
