/**
 * The spend ledger the limits stage reads (e.g. to rebuild budget counters after a restart):
 * charged micro-dollars per budget node since a time, from the same SQLite table the SQLite sink
 * writes, plus events still in memory on their way there. Lookups use covering indexes on
 * (key|team|org, ts_ms, cost_micros).
 *
 * The sink commits on a worker thread, so a batch can be committed while this thread still holds
 * it as in flight. Each committed batch leaves its sequence in usage_batches (same transaction);
 * the sum and those markers are read in one read transaction (one consistent WAL snapshot), and
 * in-memory batches already committed in that snapshot are not added again — exact, never double.
 */
import { openUsageDb, type PendingBatch } from './sqlite/db.js';

export interface SpendLedger {
  /** Sum of cost_micros of events attributed to `nodeId` ("key:x", "team:x", "org:x") with ts_ms ≥ sinceMs. */
  spendMicrosSince(nodeId: string, sinceMs: number): number;
  close(): void;
}

const COLUMN: Record<string, 'key' | 'team' | 'org'> = { key: 'key', team: 'team', org: 'org' };

/** One shared database connection per data folder; every call returns a handle on it. */
export function openSpendLedger(dataDir: string): SpendLedger {
  const handle = openUsageDb(dataDir);
  const { db } = handle;
  const stmts = {
    key: db.prepare('SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_events WHERE key = ? AND ts_ms >= ?'),
    team: db.prepare('SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_events WHERE team = ? AND ts_ms >= ?'),
    org: db.prepare('SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_events WHERE org = ? AND ts_ms >= ?'),
  };
  const committed = db.prepare('SELECT 1 FROM usage_batches WHERE seq = ?').pluck();

  const read = db.transaction((column: 'key' | 'team' | 'org', name: string, sinceMs: number): number => {
    let sum = (stmts[column].get(name, sinceMs) as { s: number }).s;
    const batches: PendingBatch[] = [];
    for (const source of handle.pending) for (const b of source()) batches.push(b);
    for (const b of batches) {
      if (b.seq !== null && committed.get(b.seq) !== undefined) continue;
      for (const e of b.events) {
        if (e.ts_ms >= sinceMs && e.cost_micros > 0 && e[column] === name) sum += e.cost_micros;
      }
    }
    return sum;
  });

  let closed = false;
  return {
    spendMicrosSince(nodeId, sinceMs) {
      const colon = nodeId.indexOf(':');
      const column = COLUMN[nodeId.slice(0, colon)];
      if (colon < 0 || !column) throw new Error(`not a budget node id: "${nodeId}"`);
      return read(column, nodeId.slice(colon + 1), sinceMs);
    },
    close() {
      if (closed) return;
      closed = true;
      handle.release();
    },
  };
}
