/**
 * Turns a finished request context into its usage event. Runs once per request, in the accounting
 * stage, after inner stages are done (for streams: in the wrapper's finally), so ctx.meta is final.
 */
import type { PriceEntry } from '../../common/snapshot.js';
import { priceAt } from '../cost/price.js';
import { requestCost } from '../cost/request-cost.js';
import { cacheSavedPico } from '../cost/saved.js';
import { GatewayError } from '../errors.js';
import type { RequestContext, RequestStatus } from '../pipeline/types.js';
import type { UsageEvent } from './event.js';

export interface Ending {
  /** Epoch ms when the answer was complete (last byte for streams). */
  endedAt: number;
  /** What the client got in the status line. */
  httpStatus: number;
  /** The error that ended the request, if any (thrown by next() or by the stream iterator). */
  error: unknown;
  /** True when the stream consumer stopped early (client gone). */
  abandoned: boolean;
}

const MAX_REQUEST_TAGS = 10;
const TAG_PART = /^[A-Za-z0-9_.:/-]{1,64}$/;

/**
 * Request-supplied tags from `x-sluice-tags: feature=search,env=prod`. They only add names that
 * config did not set, so a client can never re-attribute spend configured for its key.
 */
export function requestTags(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  let n = 0;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (!TAG_PART.test(k) || !TAG_PART.test(v)) continue;
    out[k] = v;
    if (++n >= MAX_REQUEST_TAGS) break;
  }
  return out;
}

const NO_TAGS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function isEmpty(tags: Record<string, string> | undefined): boolean {
  for (const _ in tags) return false;
  return true;
}

/** Request < route < key. Without request tags and route tags (the common case) no copy is made. */
function mergedTags(ctx: RequestContext): Record<string, string> {
  const header = ctx.headers['x-sluice-tags'];
  const routeTags = ctx.route?.tags;
  const keyTags = ctx.key?.tags;
  if (!header && isEmpty(routeTags)) return keyTags ?? NO_TAGS;
  return { ...requestTags(header), ...(routeTags ?? {}), ...(keyTags ?? {}) };
}

function statusOf(ctx: RequestContext, end: Ending): RequestStatus {
  const tier = ctx.meta.cacheTier;
  if (!end.error && (tier === 'hit-exact' || tier === 'hit-semantic')) return 'cached';
  if (ctx.meta.status === 'expired') return 'expired';
  if (end.abandoned || (end.error && ctx.signal.aborted)) return 'aborted';
  if (end.error) {
    // Refused by the gateway itself (auth, guardrails, limits, bad input) before any upstream call.
    if (end.error instanceof GatewayError && end.error.status < 500 && ctx.meta.attempts === 0) return 'rejected';
    return 'error';
  }
  if (ctx.meta.status) return ctx.meta.status;
  if (end.httpStatus === 202) return 'queued';
  return end.httpStatus >= 400 ? 'error' : 'ok';
}

function errorCode(error: unknown, ctx: RequestContext): string {
  const e = error ?? ctx.meta.error;
  if (!e) return '';
  if (e instanceof GatewayError) return e.code ?? e.type;
  return 'internal_error';
}

const NO_PRICE = { effectiveFrom: 0, inputPico: 0, cachedInputPico: 0, cacheWritePico: 0, outputPico: 0 };

export function buildUsageEvent(ctx: RequestContext, end: Ending, replica: string): UsageEvent {
  const { meta } = ctx;
  const cost = requestCost(ctx);
  const saved = cacheSavedPico(ctx);
  // Rates used: the charge's price, or for hits the price the saving was computed at.
  let price: PriceEntry | null = cost.price;
  if (!price && saved > 0 && meta.provider && meta.upstreamModel) {
    price = priceAt(ctx.snapshot, meta.provider, meta.upstreamModel, ctx.receivedAt);
  }
  const rates = price ?? NO_PRICE;
  const usage = meta.usage;
  const status = statusOf(ctx, end);
  const httpStatus = end.error instanceof GatewayError && end.httpStatus === 0 ? end.error.status : end.httpStatus;
  const bodyModel = typeof ctx.body?.model === 'string' ? ctx.body.model : '';
  return {
    request_id: ctx.id,
    ts_ms: ctx.receivedAt,
    key: ctx.key?.name ?? '',
    team: ctx.key?.team ?? '',
    org: ctx.key?.org ?? '',
    tags: mergedTags(ctx),
    route: ctx.route?.name ?? bodyModel,
    endpoint: ctx.endpoint,
    provider: meta.provider ?? '',
    model: meta.upstreamModel ?? '',
    prompt_tokens: usage?.promptTokens ?? 0,
    cached_tokens: usage?.cachedInputTokens ?? 0,
    cache_write_tokens: usage?.cacheWriteTokens ?? 0,
    output_tokens: usage?.outputTokens ?? 0,
    usage_source: usage ? usage.source : 'none',
    cost_pico: cost.pico,
    cost_micros: cost.micros,
    // Only a model that was used but had no effective price is flagged (rejections have no usage).
    priced: price || !(usage && meta.provider && meta.upstreamModel) ? 1 : 0,
    price_effective_from: rates.effectiveFrom,
    price_input_pico: rates.inputPico,
    price_cached_pico: rates.cachedInputPico,
    price_cache_write_pico: rates.cacheWritePico,
    price_output_pico: rates.outputPico,
    saved_pico: saved,
    latency_ms: Math.max(0, end.endedAt - ctx.receivedAt),
    ttft_ms: meta.firstTokenAt === null ? -1 : Math.max(0, meta.firstTokenAt - ctx.receivedAt),
    cache_tier: meta.cacheTier,
    status,
    http_status: httpStatus,
    attempts: meta.attempts,
    degraded: meta.degraded ? 1 : 0,
    error_code: errorCode(end.error, ctx),
    queue_id: meta.queueId ?? '',
    snapshot_version: ctx.snapshot.version,
    replica,
  };
}
