/**
 * Writes usage batches to the SQLite file from a worker thread (thread.ts). A 500-event batch is
 * ~10 ms of synchronous work, which on the main thread would stall every request in flight (p99).
 * The thread owns its own connection (WAL: the main thread's connection keeps reading — ledger —
 * while it writes); `write()` resolves once the batch is committed.
 */
import { EVENT_COLUMNS, type UsageEvent } from '../event.js';
import { DbThread } from './thread.js';
import { WRITER_SOURCE } from './writer-source.js';

/** Batch markers (usage_batches) are kept this long: far longer than any batch stays in flight. */
const KEEP_MARKERS_MS = 15 * 60_000;

export class SqliteWriter {
  private readonly thread: DbThread;

  constructor(path: string) {
    this.thread = new DbThread('usage database writer', WRITER_SOURCE, {
      path,
      columns: EVENT_COLUMNS,
      keepMarkersMs: KEEP_MARKERS_MS,
      pruneEveryMs: 60_000,
    });
  }

  /** Inserts the events (INSERT OR IGNORE) and, when given, the batch's `seq` marker, in one transaction. */
  async write(events: readonly UsageEvent[], seq: string | null): Promise<void> {
    await this.thread.request({ events, seq });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
