/**
 * The SQLite sink: one INSERT OR IGNORE per event inside one transaction per batch, run on a
 * worker thread (writer.ts) so the synchronous driver never blocks request handling. The
 * request_id primary key makes replays no-ops, so at-least-once delivery never double counts.
 * The same transaction records the batch's sequence in usage_batches, which lets the spend
 * ledger tell whether a batch still held in memory is already in the table (no double count in
 * the moment between the commit and its acknowledgement).
 */
import type { UsageSink } from '../sink.js';
import { openUsageDb, type UsageDb } from './db.js';
import { SqliteWriter } from './writer.js';

export function createSqliteSink(dataDir: string): UsageSink & { readonly handle: UsageDb } {
  // The main thread's connection: creates the schema, serves reads (ledger, usage API).
  const handle = openUsageDb(dataDir);
  const writer = new SqliteWriter(handle.path);
  return {
    name: 'sqlite',
    handle,
    write(events, opts) {
      return writer.write(events, opts.seq ?? null);
    },
    async close() {
      await writer.close();
      handle.release();
    },
  };
}
