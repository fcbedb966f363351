/**
 * Compares our daily cost per provider/model with a provider invoice. A line is flagged when the
 * two differ by more than the threshold (default 1%) of the invoice amount, or when one side has
 * spend the other lacks. Exact BigInt arithmetic throughout.
 */
import { formatBig } from '../query/rows.js';
import type { UsageResult } from '../query/types.js';
import type { InvoiceLine } from './invoice-csv.js';

export interface ReconcileLine {
  date: string;
  provider: string;
  model: string;
  oursUsd: string;
  invoiceUsd: string;
  diffUsd: string;
  /** |ours − invoice| / invoice × 100, rounded to 2 decimals; null when the invoice says 0. */
  diffPercent: number | null;
  flagged: boolean;
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const usd = (pico: bigint): string => (pico < 0n ? `-${formatBig(-pico, 12)}` : formatBig(pico, 12));

/** Our totals from a usage query grouped by provider, model with day granularity. */
export function oursByDay(result: UsageResult): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const row of result.rows) {
    if (row.bucket === undefined) throw new Error('usage result lacks day buckets');
    const date = new Date(row.bucket).toISOString().slice(0, 10);
    const key = `${date}|${(row.group.provider ?? '').toLowerCase()}|${row.group.model ?? ''}`;
    out.set(key, (out.get(key) ?? 0n) + BigInt(row.cost_pico));
  }
  return out;
}

/** `thresholdBasisPoints`: 100 = 1%. `providerMap` renames invoice providers to Sluice provider ids. */
export function reconcile(
  invoice: InvoiceLine[],
  ours: Map<string, bigint>,
  thresholdBasisPoints = 100,
  providerMap: Record<string, string> = {},
): ReconcileLine[] {
  const theirs = new Map<string, bigint>();
  for (const l of invoice) {
    const provider = (providerMap[l.provider] ?? l.provider).toLowerCase();
    const key = `${l.date}|${provider}|${l.model}`;
    theirs.set(key, (theirs.get(key) ?? 0n) + l.pico);
  }
  const dates = new Set(invoice.map((l) => l.date));
  const keys = new Set([...theirs.keys(), ...[...ours.keys()].filter((k) => dates.has(k.slice(0, 10)))]);
  const lines: ReconcileLine[] = [];
  for (const key of [...keys].sort()) {
    const [date, provider, model] = key.split('|') as [string, string, string];
    const o = ours.get(key) ?? 0n;
    const t = theirs.get(key) ?? 0n;
    const diff = o - t;
    let flagged: boolean;
    let diffPercent: number | null = null;
    if (t === 0n) flagged = o !== 0n;
    else {
      flagged = abs(diff) * 10_000n > abs(t) * BigInt(thresholdBasisPoints);
      diffPercent = Number((abs(diff) * 1_000_000n) / abs(t)) / 10_000;
    }
    lines.push({
      date,
      provider,
      model,
      oursUsd: usd(o),
      invoiceUsd: usd(t),
      diffUsd: usd(diff),
      diffPercent: diffPercent === null ? null : Math.round(diffPercent * 100) / 100,
      flagged,
    });
  }
  return lines;
}
