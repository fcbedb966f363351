/** Turns raw SQL rows (BigInt from SQLite, strings from ClickHouse JSON) into UsageMetrics. */
import { formatScaled } from '../../../common/money.js';
import type { UsageMetrics } from './types.js';

export type RawRow = Record<string, unknown>;

export function big(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(String(v));
}

const num = (v: unknown): number => Number(big(v));

/** Exact decimal string of a BigInt amount with `scale` decimals. */
export function formatBig(amount: bigint, scale: number): string {
  if (amount <= BigInt(Number.MAX_SAFE_INTEGER)) return formatScaled(Number(amount), scale);
  const digits = amount.toString().padStart(scale + 1, '0');
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${digits.slice(0, digits.length - scale)}${frac ? `.${frac}` : ''}`;
}

export function toMetrics(r: RawRow): UsageMetrics {
  const costPico = big(r.m_cost_hi) * 1_000_000n + big(r.m_cost_lo);
  const savedPico = big(r.m_saved_hi) * 1_000_000n + big(r.m_saved_lo);
  const requests = num(r.m_requests);
  const hits = num(r.m_cache_hits);
  const misses = num(r.m_cache_misses);
  return {
    requests,
    errors: num(r.m_errors),
    rejected: num(r.m_rejected),
    cache_hits: hits,
    cache_misses: misses,
    cache_hit_rate: hits + misses > 0 ? hits / (hits + misses) : 0,
    prompt_tokens: num(r.m_prompt_tokens),
    cached_tokens: num(r.m_cached_tokens),
    cache_write_tokens: num(r.m_cache_write_tokens),
    output_tokens: num(r.m_output_tokens),
    cost_pico: costPico.toString(),
    cost_usd: formatBig(costPico, 12),
    cost_micros: num(r.m_cost_micros),
    saved_pico: savedPico.toString(),
    saved_usd: formatBig(savedPico, 12),
    unpriced: num(r.m_unpriced),
    latency_ms_avg: requests > 0 ? Math.round(num(r.m_latency_sum) / requests) : 0,
  };
}
