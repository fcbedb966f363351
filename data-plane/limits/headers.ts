/**
 * OpenAI-style rate-limit headers. With several nodes (key, team, org) limiting at once, each
 * header family reports the node with the least room left — the one that will refuse first.
 */
import { formatMicros } from '../../common/money.js';
import type { NodeView, RefusalReason } from './types.js';

/** OpenAI's duration format: "20ms", "1s", "6m0s", "1h2m3s". */
export function formatReset(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export function rateLimitHeaders(views: readonly NodeView[]): Record<string, string> {
  const headers: Record<string, string> = {};
  addRateLimitHeaders(headers, views);
  return headers;
}

/** rateLimitHeaders written straight into `headers` (the response's), without an intermediate object. */
export function addRateLimitHeaders(headers: Record<string, string>, views: readonly NodeView[]): void {
  let req: NodeView | null = null;
  let tok: NodeView | null = null;
  let budget: NodeView | null = null;
  for (const v of views) {
    if (v.rpm !== null && (!req || v.rpm - v.requestsUsed < req.rpm! - req.requestsUsed)) req = v;
    if (v.tpm !== null && (!tok || v.tpm - v.tokensUsed < tok.tpm! - tok.tokensUsed)) tok = v;
    if (v.budgetMicros !== null && (!budget || budgetLeft(v) < budgetLeft(budget))) budget = v;
  }
  if (req) {
    headers['x-ratelimit-limit-requests'] = String(req.rpm);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, req.rpm! - req.requestsUsed));
    headers['x-ratelimit-reset-requests'] = formatReset(req.requestsResetMs);
  }
  if (tok) {
    headers['x-ratelimit-limit-tokens'] = String(tok.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tok.tpm! - tok.tokensUsed));
    headers['x-ratelimit-reset-tokens'] = formatReset(tok.tokensResetMs);
  }
  if (budget) headers['x-sluice-budget-remaining-usd'] = formatMicros(Math.max(0, budgetLeft(budget)));
}

const budgetLeft = (v: NodeView): number => (v.budgetMicros ?? 0) - v.spentMicros - v.reservedMicros;

const REASON_TEXT: Record<RefusalReason, string> = {
  rpm: 'requests per min (RPM)',
  tpm: 'tokens per min (TPM)',
  tpd: 'tokens per day (TPD)',
  concurrency: 'concurrent requests',
  budget: 'budget',
};

export interface RefusalMessageInput {
  nodeId: string;
  reason: RefusalReason;
  retryAfterMs: number;
  impossible: boolean;
  view: NodeView | undefined;
  tokens: number;
  micros: number;
  periodEnd: number;
}

/** A message in OpenAI's style: what limit, its value, what was used and requested, when to retry. */
export function refusalMessage(r: RefusalMessageInput): string {
  const v = r.view;
  if (r.reason === 'budget') {
    const spent = v ? formatMicros(v.spentMicros) : '?';
    const limit = v?.budgetMicros !== null && v ? formatMicros(v.budgetMicros) : '?';
    const reserved = v ? formatMicros(v.reservedMicros) : '0';
    return (
      `Budget exceeded for ${r.nodeId}: spent $${spent} of $${limit} this period ($${reserved} reserved by ` +
      `requests in flight; this request needs up to $${formatMicros(r.micros)}). ` +
      `The period resets at ${new Date(r.periodEnd).toISOString()}.`
    );
  }
  const what = REASON_TEXT[r.reason];
  let detail = '';
  if (v && r.reason === 'rpm') detail = ` Limit ${v.rpm}, Used ${v.requestsUsed}, Requested 1.`;
  if (v && (r.reason === 'tpm' || r.reason === 'tpd')) {
    detail =
      r.reason === 'tpm' ? ` Limit ${v.tpm}, Used ${v.tokensUsed}, Requested ${r.tokens}.` : ` Requested ${r.tokens}.`;
  }
  if (r.impossible) return `Request too large for ${r.nodeId} on ${what}.${detail} It can never fit this limit.`;
  return `Rate limit reached for ${r.nodeId} on ${what}.${detail} Please try again in ${formatReset(r.retryAfterMs)}.`;
}
