/** Human renderings of snapshot values for plan output (exact money, dates, shares). */
import { formatMicros } from '../../common/money.js';
import type { Budget, Limits, PriceEntry, RouteTarget } from '../../common/snapshot.js';
import { isoDate } from '../config/units.js';

export function budgetText(b: Budget | null): string {
  if (!b) return 'no budget';
  return `$${formatMicros(b.amountMicros)}/${b.period}${b.timezone !== 'UTC' ? ` (${b.timezone})` : ''}`;
}

/** "+25%" style delta between two amounts; empty when not meaningful. */
export function percentDelta(before: number, after: number): string {
  if (before === 0) return '';
  const pct = ((after - before) / before) * 100;
  const rounded = Math.round(pct * 10) / 10;
  return ` (${rounded > 0 ? '+' : ''}${rounded}%)`;
}

export function limitsText(l: Limits): string {
  const parts = [
    l.rpm !== null ? `rpm ${l.rpm}` : null,
    l.tpm !== null ? `tpm ${l.tpm}` : null,
    l.tpd !== null ? `tpd ${l.tpd}` : null,
    l.maxConcurrent !== null ? `max_concurrent ${l.maxConcurrent}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(', ') : 'unlimited';
}

/** USD per 1M tokens from pico-dollars per token: 1 pico-dollar per token is exactly 1 micro-dollar per 1M tokens. */
export function perMillion(pico: number): string {
  return `$${formatMicros(pico)}`;
}

export function priceText(p: PriceEntry): string {
  return `input ${perMillion(p.inputPico)}, output ${perMillion(p.outputPico)}, cached input ${perMillion(p.cachedInputPico)}, cache write ${perMillion(p.cacheWritePico)} per 1M tokens`;
}

export function dateText(ms: number | null): string {
  return ms === null ? 'never' : isoDate(ms);
}

export function targetsText(targets: RouteTarget[]): string {
  const total = targets.reduce((n, t) => n + t.weight, 0);
  return targets
    .map(
      (t) =>
        `${t.provider}/${t.model} w${t.weight}${total > 0 ? ` (${Math.round((t.weight / total) * 1000) / 10}%)` : ''}`,
    )
    .join(', ');
}

export function chainText(fallback: string[]): string {
  return fallback.length ? fallback.join(' → ') : 'none';
}

/** Leaf-level differences between two JSON values: ["retry.attempts: 2 → 3", …]. */
export function leafDiff(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => leafDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return [`${path || 'value'}: ${show(a)} → ${show(b)}`];
}
