/**
 * The usage API's query and answer shapes (GET /v1/usage), identical whether SQLite or ClickHouse
 * answers. Money sums are exact: pico-dollar sums are decimal strings (they outgrow 2^53 past ~$9k),
 * USD amounts are exact decimal strings, micro-dollar sums are numbers.
 */

export const GROUP_COLUMNS = [
  'key',
  'team',
  'org',
  'model',
  'provider',
  'route',
  'endpoint',
  'status',
  'cache_tier',
] as const;
export type GroupColumn = (typeof GROUP_COLUMNS)[number];
/** A column, or "tag:<name>" (events without that tag group under ""). */
export type GroupKey = GroupColumn | `tag:${string}`;

export type Granularity = 'minute' | 'hour' | 'day';
export const GRANULARITY_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export type FilterColumn = 'key' | 'team' | 'org' | 'model' | 'provider' | 'route' | 'status';

export interface UsageQuery {
  /** Inclusive epoch ms. */
  from: number;
  /** Exclusive epoch ms. */
  to: number;
  /** Each listed column must equal one of its values. */
  filters: Partial<Record<FilterColumn, string[]>>;
  /** Every pair must match (tag name, value). */
  tags: [string, string][];
  groupBy: GroupKey[];
  granularity: Granularity | null;
  /** Max rows (ordered by bucket, then cost descending). */
  limit: number;
}

export interface UsageMetrics {
  requests: number;
  /** status error, aborted or expired. */
  errors: number;
  /** status rejected (auth, limits, guardrails, bad input). */
  rejected: number;
  cache_hits: number;
  cache_misses: number;
  /** cache_hits / (cache_hits + cache_misses), 0 when neither. */
  cache_hit_rate: number;
  prompt_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  /** Exact sum of event costs in pico-dollars (decimal string). */
  cost_pico: string;
  /** The same in USD, exact (decimal string, up to 12 decimals). */
  cost_usd: string;
  /** Sum of what budgets were charged (each event rounded up to whole micro-dollars). */
  cost_micros: number;
  saved_pico: string;
  saved_usd: string;
  /** Events whose model had no effective price (cost 0: fix the pricing config). */
  unpriced: number;
  latency_ms_avg: number;
}

export interface UsageRow extends UsageMetrics {
  /** Start of the time bucket (epoch ms, UTC-aligned) when a granularity was asked for. */
  bucket?: number;
  /** The group-by values of this row, by group key. */
  group: Record<string, string>;
}

export interface UsageResult {
  source: 'sqlite' | 'clickhouse';
  from: number;
  to: number;
  granularity: Granularity | null;
  group_by: GroupKey[];
  rows: UsageRow[];
  /** Over the whole filtered range, not limited by `limit`. */
  totals: UsageMetrics;
}

export interface BurnNode {
  node: string;
  kind: 'org' | 'team' | 'key';
  name: string;
  budget_micros: number | null;
  period: string;
  timezone: string;
  period_start: number;
  period_end: number;
  spent_micros: number;
  /** Spend over the trailing window, scaled to one hour. */
  burn_rate_micros_per_hour: number;
  /** spent + burn rate × time left in the period. */
  projected_micros: number;
  /** projected / budget × 100 (null without a budget). */
  projected_percent: number | null;
  spent_percent: number | null;
}

export interface BurnResult {
  source: 'sqlite' | 'clickhouse';
  now: number;
  window_ms: number;
  nodes: BurnNode[];
}

export class UsageQueryError extends Error {
  override name = 'UsageQueryError';
}
