/**
 * ClickHouse connection and DDL. Every statement here runs on ClickHouse 18.16 (Debian) and on
 * current releases: DateTime (seconds) + a ts_ms UInt64 column instead of DateTime64, JSONEachRow
 * inserts, escaped literals instead of query parameters, old-style-compatible engine clauses.
 *
 * - usage_events: ReplacingMergeTree ordered by (ts, request_id). A replayed event has the same ts
 *   and request_id, so merges collapse duplicates; queries add FINAL so they are exact before merges.
 * - usage_minute: SummingMergeTree rollup per minute × key/team/org/provider/model, fed by a
 *   materialized view on insert (for BI tools and long-range dashboards). Replays filter out ids
 *   already present before inserting, so rollups do not double count either.
 */
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

export interface ClickHouseTarget {
  /** Origin only, e.g. http://127.0.0.1:8123 */
  url: string;
  database: string;
  username?: string;
  password?: string;
}

/** "http://user:pw@host:8123/analytics" → database "analytics" (default "sluice"). */
export function parseClickHouseUrl(text: string): ClickHouseTarget {
  const u = new URL(text);
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || 'sluice';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`invalid ClickHouse database name "${database}"`);
  const target: ClickHouseTarget = { url: `${u.protocol}//${u.host}`, database };
  if (u.username) target.username = decodeURIComponent(u.username);
  if (u.password) target.password = decodeURIComponent(u.password);
  return target;
}

export function connectClickHouse(target: ClickHouseTarget, withDatabase = true): ClickHouseClient {
  return createClient({
    url: target.url,
    ...(withDatabase ? { database: target.database } : {}),
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    request_timeout: 15_000,
    // The sink logs failures itself (once per outage); the client's own per-request logs are noise.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/** A string literal with ClickHouse escaping (backslash and single quote). */
export function chString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An integer literal; throws on anything that is not a safe non-negative integer. */
export function chUInt(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a non-negative integer: ${value}`);
  return String(value);
}

export function schemaStatements(db: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.usage_events (
      request_id String,
      ts_ms UInt64,
      ts DateTime MATERIALIZED toDateTime(intDiv(ts_ms, 1000)),
      key String, team String, org String,
      tags String,
      tag_keys Array(String), tag_values Array(String),
      route String, endpoint String, provider String, model String,
      prompt_tokens UInt64, cached_tokens UInt64, cache_write_tokens UInt64, output_tokens UInt64,
      usage_source String,
      cost_pico UInt64, cost_micros UInt64, priced UInt8,
      price_effective_from UInt64, price_input_pico UInt64, price_cached_pico UInt64,
      price_cache_write_pico UInt64, price_output_pico UInt64,
      saved_pico UInt64,
      latency_ms UInt64, ttft_ms Int64,
      cache_tier String, status String, http_status UInt16, attempts UInt16, degraded UInt8,
      error_code String, queue_id String, snapshot_version String, replica String
    ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(ts) ORDER BY (ts, request_id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.usage_minute (
      minute DateTime,
      key String, team String, org String, provider String, model String,
      requests UInt64, errors UInt64, cache_hits UInt64,
      prompt_tokens UInt64, cached_tokens UInt64, cache_write_tokens UInt64, output_tokens UInt64,
      cost_pico UInt64, cost_micros UInt64, saved_pico UInt64
    ) ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(minute) ORDER BY (minute, key, team, org, provider, model)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.usage_minute_mv TO ${db}.usage_minute AS
      SELECT toStartOfMinute(ts) AS minute, key, team, org, provider, model,
        count() AS requests,
        sum(status IN ('error', 'aborted', 'expired')) AS errors,
        sum(cache_tier IN ('hit-exact', 'hit-semantic')) AS cache_hits,
        sum(prompt_tokens) AS prompt_tokens, sum(cached_tokens) AS cached_tokens,
        sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens,
        sum(cost_pico) AS cost_pico, sum(cost_micros) AS cost_micros, sum(saved_pico) AS saved_pico
      FROM ${db}.usage_events
      GROUP BY minute, key, team, org, provider, model`,
  ];
}

export async function ensureSchema(target: ClickHouseTarget): Promise<void> {
  const admin = connectClickHouse(target, false);
  try {
    for (const query of schemaStatements(target.database)) await admin.command({ query });
  } finally {
    await admin.close();
  }
}

export type { ClickHouseClient };
