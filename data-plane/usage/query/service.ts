/**
 * The usage query service behind GET /v1/usage, /v1/usage/burn, the CLI and the dashboard.
 * Answers from ClickHouse when a URL is configured, else from the embedded SQLite file — same
 * shapes either way.
 */
import type { Snapshot } from '../../../common/snapshot.js';
import { periodWindow, TRACKING_PERIOD } from '../../limits/period.js';
import { connectClickHouse, parseClickHouseUrl } from '../clickhouse/schema.js';
import { openUsageDb, openUsageDbFile } from '../sqlite/db.js';
import { SqliteReader } from '../sqlite/reader.js';
import { type RawRow, toMetrics } from './rows.js';
import { burnSql, clickhouseDialect, type Dialect, groupedSql, sqliteDialect, totalsSql } from './sql.js';
import type { BurnNode, BurnResult, UsageQuery, UsageResult, UsageRow } from './types.js';

export interface UsageQueryService {
  readonly source: 'sqlite' | 'clickhouse';
  query(q: UsageQuery): Promise<UsageResult>;
  /** Spend, burn rate and projected period-end spend of budget nodes (all with a budget by default). */
  burn(snapshot: Snapshot, opts?: { now?: number; windowMs?: number; nodes?: string[] }): Promise<BurnResult>;
  close(): Promise<void>;
}

interface Runner {
  dialect: Dialect;
  all(sql: string, params: unknown[]): Promise<RawRow[]>;
  close(): Promise<void>;
}

function sqliteRunner(handle: ReturnType<typeof openUsageDb>): Runner {
  // Queries run on a worker thread (reader.ts), never on the thread serving requests; `handle`
  // (opened first) makes sure the file and its schema exist.
  const reader = new SqliteReader(handle.path);
  return {
    dialect: sqliteDialect,
    all: (sql, params) => reader.all<RawRow>(sql, params),
    async close() {
      await reader.close();
      handle.release();
    },
  };
}

function clickhouseRunner(url: string): Runner {
  const client = connectClickHouse(parseClickHouseUrl(url));
  return {
    dialect: clickhouseDialect,
    async all(sql) {
      const rs = await client.query({ query: sql, format: 'JSONEachRow' });
      return (await rs.json()) as RawRow[];
    },
    async close() {
      await client.close();
    },
  };
}

export interface UsageQueryOptions {
  /** Data folder holding usage.sqlite (ignored when sqliteFile or clickhouseUrl is given). */
  dataDir?: string;
  /** An explicit SQLite file (CLI --db). */
  sqliteFile?: string;
  clickhouseUrl?: string | null;
}

export function createUsageQueryService(opts: UsageQueryOptions): UsageQueryService {
  let runner: Runner;
  if (opts.clickhouseUrl) runner = clickhouseRunner(opts.clickhouseUrl);
  else if (opts.sqliteFile) runner = sqliteRunner(openUsageDbFile(opts.sqliteFile));
  else if (opts.dataDir) runner = sqliteRunner(openUsageDb(opts.dataDir));
  else throw new Error('usage query service needs a clickhouseUrl, a sqliteFile or a dataDir');
  const d = runner.dialect;

  return {
    source: d.name,
    async query(q) {
      const grouped = groupedSql(d, q);
      const totals = totalsSql(d, q);
      const [rows, [total]] = await Promise.all([
        runner.all(grouped.sql, grouped.params),
        runner.all(totals.sql, totals.params),
      ]);
      return {
        source: d.name,
        from: q.from,
        to: q.to,
        granularity: q.granularity,
        group_by: q.groupBy,
        rows: rows.map((r): UsageRow => {
          const group: Record<string, string> = {};
          q.groupBy.forEach((k, i) => {
            group[k] = String(r[`g${i}`] ?? '');
          });
          const row: UsageRow = { ...toMetrics(r), group };
          if (q.granularity) row.bucket = Number(r.bucket);
          return row;
        }),
        totals: toMetrics(total ?? {}),
      };
    },

    async burn(snapshot, o = {}) {
      const now = o.now ?? Date.now();
      const windowMs = o.windowMs ?? 3_600_000;
      const ids =
        o.nodes ??
        Object.values(snapshot.nodes)
          .filter((n) => n.budget)
          .map((n) => n.id);
      const nodes: BurnNode[] = [];
      for (const id of ids) {
        const node = snapshot.nodes[id];
        if (!node) continue;
        const period = node.budget ?? TRACKING_PERIOD;
        const win = periodWindow(now, period.period, period.timezone);
        const { sql, params } = burnSql(d, node.kind, node.name, win.start, now - windowMs, now + 1);
        const [row] = await runner.all(sql, params);
        const spent = Number(row?.spent ?? 0);
        const recent = Number(row?.recent ?? 0);
        const rate = Math.round((recent * 3_600_000) / windowMs);
        const projected = spent + Math.round((recent * Math.max(0, win.end - now)) / windowMs);
        const budget = node.budget?.amountMicros ?? null;
        nodes.push({
          node: id,
          kind: node.kind,
          name: node.name,
          budget_micros: budget,
          period: period.period,
          timezone: period.timezone,
          period_start: win.start,
          period_end: win.end,
          spent_micros: spent,
          burn_rate_micros_per_hour: rate,
          projected_micros: projected,
          projected_percent: budget ? Math.round((projected / budget) * 1000) / 10 : null,
          spent_percent: budget ? Math.round((spent / budget) * 1000) / 10 : null,
        });
      }
      return { source: d.name, now, window_ms: windowMs, nodes };
    },

    close: () => runner.close(),
  };
}
