/**
 * The spend ledger the limits stage reads (e.g. to rebuild budget counters after a restart):
 * charged micro-dollars per budget node since a time, from the same SQLite table the SQLite sink
 * writes, plus events still in memory on their way there. Lookups use covering indexes on
 * (key|team|org, ts_ms, cost_micros).
 */
import { openUsageDb } from './sqlite/db.js';

export interface SpendLedger {
  /** Sum of cost_micros of events attributed to `nodeId` ("key:x", "team:x", "org:x") with ts_ms ≥ sinceMs. */
  spendMicrosSince(nodeId: string, sinceMs: number): number;
  close(): void;
}

const COLUMN: Record<string, 'key' | 'team' | 'org'> = { key: 'key', team: 'team', org: 'org' };

/** One shared database connection per data folder; every call returns a handle on it. */
export function openSpendLedger(dataDir: string): SpendLedger {
  const handle = openUsageDb(dataDir);
  const stmts = {
    key: handle.db.prepare('SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_events WHERE key = ? AND ts_ms >= ?'),
    team: handle.db.prepare(
      'SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_events WHERE team = ? AND ts_ms >= ?',
    ),
    org: handle.db.prepare('SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_events WHERE org = ? AND ts_ms >= ?'),
  };
  let closed = false;
  return {
    spendMicrosSince(nodeId, sinceMs) {
      const colon = nodeId.indexOf(':');
      const column = COLUMN[nodeId.slice(0, colon)];
      if (colon < 0 || !column) throw new Error(`not a budget node id: "${nodeId}"`);
      const name = nodeId.slice(colon + 1);
      const row = stmts[column].get(name, sinceMs) as { s: number };
      let sum = row.s;
      for (const source of handle.pending) {
        for (const e of source()) {
          if (e.ts_ms >= sinceMs && e.cost_micros > 0 && e[column] === name) sum += e.cost_micros;
        }
      }
      return sum;
    },
    close() {
      if (closed) return;
      closed = true;
      handle.release();
    },
  };
}
