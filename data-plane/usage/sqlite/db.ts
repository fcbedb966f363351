/**
 * The embedded usage database (<dataDir>/usage.sqlite): one table of usage events, shared by the
 * SQLite sink (writer), the spend ledger (limits reads spend per budget node) and the usage API.
 * One connection per file per process, reference counted, so all of them see the same data.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { UsageEvent } from '../event.js';

export type SqliteDatabase = Database.Database;

/**
 * Spend not yet written to the table (events still in memory); the ledger adds it. A batch with a
 * `seq` may already be committed (usage_batches says so) while still held in memory.
 */
export type PendingSpend = () => Iterable<PendingBatch>;
export interface PendingBatch {
  seq: string | null;
  events: readonly UsageEvent[];
}

export interface UsageDb {
  readonly path: string;
  readonly db: SqliteDatabase;
  readonly pending: Set<PendingSpend>;
  /** Drops one reference; the connection closes with the last one. */
  release(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_events (
  request_id TEXT NOT NULL PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  key TEXT NOT NULL,
  team TEXT NOT NULL,
  org TEXT NOT NULL,
  tags TEXT NOT NULL,
  route TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  usage_source TEXT NOT NULL,
  cost_pico INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  priced INTEGER NOT NULL,
  price_effective_from INTEGER NOT NULL,
  price_input_pico INTEGER NOT NULL,
  price_cached_pico INTEGER NOT NULL,
  price_cache_write_pico INTEGER NOT NULL,
  price_output_pico INTEGER NOT NULL,
  saved_pico INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  ttft_ms INTEGER NOT NULL,
  cache_tier TEXT NOT NULL,
  status TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  degraded INTEGER NOT NULL,
  error_code TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  snapshot_version TEXT NOT NULL,
  replica TEXT NOT NULL
);
-- Spend ledger lookups (sum of cost_micros for one node since a time) are index-only scans.
CREATE INDEX IF NOT EXISTS usage_events_key_ts ON usage_events (key, ts_ms, cost_micros);
CREATE INDEX IF NOT EXISTS usage_events_team_ts ON usage_events (team, ts_ms, cost_micros);
CREATE INDEX IF NOT EXISTS usage_events_org_ts ON usage_events (org, ts_ms, cost_micros);
CREATE INDEX IF NOT EXISTS usage_events_ts ON usage_events (ts_ms);
-- Sequences of recently committed batches (written in the batch's transaction, pruned after
-- minutes): the ledger skips in-memory batches that are already committed.
CREATE TABLE IF NOT EXISTS usage_batches (
  seq TEXT NOT NULL PRIMARY KEY,
  committed_ms INTEGER NOT NULL
);
`;

const open = new Map<string, { handle: UsageDb; refs: number }>();

export function usageDbPath(dataDir: string): string {
  return resolve(join(dataDir, 'usage.sqlite'));
}

/** Opens (or shares) the usage database at `file`, creating the schema when missing. */
export function openUsageDbFile(file: string, opts: { readonly?: boolean } = {}): UsageDb {
  const path = resolve(file);
  const existing = open.get(path);
  if (existing) {
    existing.refs++;
    return existing.handle;
  }
  if (!opts.readonly) mkdirSync(join(path, '..'), { recursive: true });
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a committed batch survives a process crash; an OS crash may lose the last batches.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  }
  const entry = {
    refs: 1,
    handle: {
      path,
      db,
      pending: new Set<PendingSpend>(),
      release() {
        entry.refs--;
        if (entry.refs === 0) {
          open.delete(path);
          db.close();
        }
      },
    } satisfies UsageDb,
  };
  open.set(path, entry);
  return entry.handle;
}

export function openUsageDb(dataDir: string): UsageDb {
  return openUsageDbFile(usageDbPath(dataDir));
}
