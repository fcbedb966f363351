/**
 * The SQLite sink: one prepared INSERT OR IGNORE per event inside one transaction per batch. The
 * request_id primary key makes replays no-ops, so at-least-once delivery never double counts.
 */
import { EVENT_COLUMNS, type UsageEvent } from '../event.js';
import type { UsageSink } from '../sink.js';
import { openUsageDb, type UsageDb } from './db.js';

export function createSqliteSink(dataDir: string): UsageSink & { readonly handle: UsageDb } {
  const handle = openUsageDb(dataDir);
  const insert = handle.db.prepare(
    `INSERT OR IGNORE INTO usage_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
  );
  const row = (e: UsageEvent): unknown[] =>
    EVENT_COLUMNS.map((c) => (c === 'tags' ? JSON.stringify(e.tags ?? {}) : e[c]));
  const insertBatch = handle.db.transaction((events: UsageEvent[]) => {
    for (const e of events) insert.run(row(e));
  });
  return {
    name: 'sqlite',
    handle,
    async write(events) {
      insertBatch(events);
    },
    async close() {
      handle.release();
    },
  };
}
