/**
 * The usage event: one row per request, whatever happened to it. Field names are the storage
 * column names (snake_case) so the same object is the SQLite row, the ClickHouse JSONEachRow line
 * and the spool line. Money is integer pico-dollars (exact) plus the micro-dollars charged to
 * budgets (pico rounded up); the rates used are stored with the event so history can be audited.
 */
import type { CacheTier, Endpoint, RequestStatus } from '../pipeline/types.js';

export type UsageSource = 'provider' | 'counted' | 'none';

export interface UsageEvent {
  /** Idempotency key: replays of the same event never count twice. */
  request_id: string;
  /** Epoch ms when the request arrived (also the instant its price was chosen for). */
  ts_ms: number;
  key: string;
  team: string;
  org: string;
  /** Merged attribution tags (config org < team < key < route; request tags only add new names). */
  tags: Record<string, string>;
  /** Route (model alias) the client asked for. */
  route: string;
  endpoint: Endpoint;
  provider: string;
  /** Upstream model that answered (or would have). */
  model: string;
  prompt_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  usage_source: UsageSource;
  /** Exact cost in pico-dollars (0 for cache hits, rejections and unpriced models). */
  cost_pico: number;
  /** What budgets were charged: cost_pico rounded up to micro-dollars. */
  cost_micros: number;
  /** 1 when a price was effective for provider/model at ts_ms; 0 flags an unpriced model. */
  priced: 0 | 1;
  price_effective_from: number;
  price_input_pico: number;
  price_cached_pico: number;
  price_cache_write_pico: number;
  price_output_pico: number;
  /** For cache hits: what the call would have cost at the price effective at ts_ms. */
  saved_pico: number;
  latency_ms: number;
  /** Time to first token/byte in ms, or -1 when none was produced. */
  ttft_ms: number;
  cache_tier: CacheTier;
  status: RequestStatus;
  http_status: number;
  attempts: number;
  degraded: 0 | 1;
  error_code: string;
  queue_id: string;
  snapshot_version: string;
  replica: string;
}

/** Column order used by the SQLite table and the ClickHouse table (tags handled per sink). */
export const EVENT_COLUMNS = [
  'request_id',
  'ts_ms',
  'key',
  'team',
  'org',
  'tags',
  'route',
  'endpoint',
  'provider',
  'model',
  'prompt_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'output_tokens',
  'usage_source',
  'cost_pico',
  'cost_micros',
  'priced',
  'price_effective_from',
  'price_input_pico',
  'price_cached_pico',
  'price_cache_write_pico',
  'price_output_pico',
  'saved_pico',
  'latency_ms',
  'ttft_ms',
  'cache_tier',
  'status',
  'http_status',
  'attempts',
  'degraded',
  'error_code',
  'queue_id',
  'snapshot_version',
  'replica',
] as const satisfies readonly (keyof UsageEvent)[];

/** Node ids ("key:<name>", "team:<name>", "org:<name>") an event's spend is attributed to. */
export function attributedNodes(e: Pick<UsageEvent, 'key' | 'team' | 'org'>): string[] {
  const out: string[] = [];
  if (e.key) out.push(`key:${e.key}`);
  if (e.team) out.push(`team:${e.team}`);
  if (e.org) out.push(`org:${e.org}`);
  return out;
}
