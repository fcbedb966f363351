/**
 * Builds the usage SQL once for both stores. The dialects differ only in literals (SQLite binds
 * parameters; ClickHouse gets escaped literals — no query parameters, for 18.16), integer division,
 * tag access and the FINAL that makes ReplacingMergeTree reads exact. Pico sums are split into
 * micro-dollar and remainder parts so no SUM can overflow 64 bits; they are recombined as BigInt.
 */
import { chString } from '../clickhouse/schema.js';
import { GRANULARITY_MS, type GroupKey, type UsageQuery } from './types.js';

export interface Dialect {
  name: 'sqlite' | 'clickhouse';
  /** Returns the SQL for a string value (a "?" placeholder after pushing the param, or a literal). */
  str(value: string, params: unknown[]): string;
  int(value: number, params: unknown[]): string;
  div(expr: string, by: number): string;
  tag(name: string, params: unknown[]): string;
  table: string;
  /** Extra time predicate (ClickHouse: on the DateTime primary key column). */
  timeIndex(from: number, to: number): string | null;
}

/** Pushes a bound parameter and returns its placeholder. */
function bind(params: unknown[], value: unknown): string {
  params.push(value);
  return '?';
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  str: (v, p) => bind(p, v),
  int: (v, p) => bind(p, v),
  div: (e, by) => `(${e} / ${by})`,
  tag: (name, p) => `COALESCE(json_extract(tags, ${bind(p, `$."${name}"`)}), '')`,
  table: 'usage_events',
  timeIndex: () => null,
};

export const clickhouseDialect: Dialect = {
  name: 'clickhouse',
  str: (v) => chString(v),
  int: (v) => {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  },
  div: (e, by) => `intDiv(${e}, ${by})`,
  tag: (name) => `tag_values[indexOf(tag_keys, ${chString(name)})]`,
  table: 'usage_events FINAL',
  timeIndex: (from, to) =>
    `ts >= toDateTime(${Math.max(0, Math.floor(from / 1000))}) AND ts <= toDateTime(${Math.ceil(to / 1000)})`,
};

/**
 * Metric columns, aliased m_<field>: an alias equal to a column name confuses ClickHouse alias
 * resolution. Money is split: m_*_hi = whole micro-dollars, m_*_lo = the pico remainder.
 */
function metricColumns(d: Dialect): string {
  return [
    'count(*) AS m_requests',
    "sum(status IN ('error', 'aborted', 'expired')) AS m_errors",
    "sum(status = 'rejected') AS m_rejected",
    "sum(cache_tier IN ('hit-exact', 'hit-semantic')) AS m_cache_hits",
    "sum(cache_tier = 'miss') AS m_cache_misses",
    'sum(prompt_tokens) AS m_prompt_tokens',
    'sum(cached_tokens) AS m_cached_tokens',
    'sum(cache_write_tokens) AS m_cache_write_tokens',
    'sum(output_tokens) AS m_output_tokens',
    `sum(${d.div('cost_pico', 1_000_000)}) AS m_cost_hi`,
    'sum(cost_pico % 1000000) AS m_cost_lo',
    'sum(cost_micros) AS m_cost_micros',
    `sum(${d.div('saved_pico', 1_000_000)}) AS m_saved_hi`,
    'sum(saved_pico % 1000000) AS m_saved_lo',
    'sum(priced = 0 AND prompt_tokens + output_tokens > 0) AS m_unpriced',
    'sum(latency_ms) AS m_latency_sum',
  ].join(', ');
}

export function whereClause(d: Dialect, q: UsageQuery, params: unknown[]): string {
  const parts = [`ts_ms >= ${d.int(q.from, params)}`, `ts_ms < ${d.int(q.to, params)}`];
  const idx = d.timeIndex(q.from, q.to);
  if (idx) parts.push(idx);
  for (const [column, values] of Object.entries(q.filters)) {
    if (!values || values.length === 0) continue;
    parts.push(`${column} IN (${values.map((v) => d.str(v, params)).join(', ')})`);
  }
  for (const [k, v] of q.tags) parts.push(`${d.tag(k, params)} = ${d.str(v, params)}`);
  return parts.join(' AND ');
}

function groupExpr(d: Dialect, key: GroupKey, params: unknown[]): string {
  return key.startsWith('tag:') ? d.tag(key.slice(4), params) : key;
}

/** The grouped query: columns bucket?, g0..gN, metrics. */
export function groupedSql(d: Dialect, q: UsageQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const select: string[] = [];
  const group: string[] = [];
  if (q.granularity) {
    const ms = GRANULARITY_MS[q.granularity];
    select.push(`${d.div('ts_ms', ms)} * ${ms} AS bucket`);
    group.push('bucket');
  }
  q.groupBy.forEach((key, i) => {
    select.push(`${groupExpr(d, key, params)} AS g${i}`);
    group.push(`g${i}`);
  });
  const where = whereClause(d, q, params);
  const order = [...(q.granularity ? ['bucket ASC'] : []), 'm_cost_micros DESC', 'm_requests DESC'];
  const sql =
    `SELECT ${[...select, metricColumns(d)].join(', ')} FROM ${d.table} WHERE ${where}` +
    (group.length > 0 ? ` GROUP BY ${group.join(', ')}` : '') +
    ` ORDER BY ${order.join(', ')} LIMIT ${Math.floor(q.limit)}`;
  return { sql, params };
}

export function totalsSql(d: Dialect, q: UsageQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = whereClause(d, q, params);
  return { sql: `SELECT ${metricColumns(d)} FROM ${d.table} WHERE ${where}`, params };
}

/** Spend of one node: in its period so far, and over the trailing window. */
export function burnSql(
  d: Dialect,
  column: 'key' | 'team' | 'org',
  name: string,
  periodStart: number,
  windowStart: number,
  now: number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const ps = d.int(periodStart, params);
  const ws = d.int(windowStart, params);
  const lo = Math.min(periodStart, windowStart);
  const from = d.int(lo, params);
  const to = d.int(now, params);
  const n = d.str(name, params);
  const idx = d.timeIndex(lo, now);
  const sql =
    `SELECT sum(cost_micros * (ts_ms >= ${ps})) AS spent, sum(cost_micros * (ts_ms >= ${ws})) AS recent ` +
    `FROM ${d.table} WHERE ts_ms >= ${from} AND ts_ms < ${to} AND ${column} = ${n}${idx ? ` AND ${idx}` : ''}`;
  return { sql, params };
}
