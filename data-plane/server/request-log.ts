/**
 * The one structured log line and the metrics of a finished request. Never logs prompt or
 * completion contents, nor secrets: only ids, names, counts and timings.
 */
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { GatewayError } from '../errors.js';
import { logInfoLine } from '../observability/logger.js';
import {
  type CounterSlot,
  counterSlot,
  HistogramSlot,
  LATENCY_BUCKETS,
  requestDuration,
  requestsTotal,
  timeToFirstToken,
  tokensTotal,
} from '../observability/metrics.js';
import type { Endpoint, RequestContext } from '../pipeline/types.js';
import type { Exchange } from './exchange.js';

export interface Finished {
  endpoint: Endpoint | 'admin' | 'client' | 'models';
  ctx: RequestContext | null;
  stream: boolean;
  /** How it ended from the server's point of view. */
  outcome: 'ok' | 'error' | 'aborted' | 'failed-mid-stream';
  error: GatewayError | null;
}

// One metric slot per label set, cached: prom-client hashes and validates the label object on
// every inc/observe otherwise (see observability/metrics.ts). Cardinality is bounded by routes ×
// statuses, the same as the metric's own. Keys are nested maps on strings that come from the
// snapshot or constants (hashed once), not a concatenated key string per request.
const counted = new Map<string, Map<number, CounterSlot>>();
const timed = new Map<string, HistogramSlot[]>();
const ttfts = new Map<string, HistogramSlot>();
const tokenCounters = new Map<string, CounterSlot[]>();

const ENDPOINTS = ['chat', 'embeddings', 'messages', 'admin', 'client', 'models'] as const;
const OUTCOMES = ['ok', 'error', 'aborted', 'failed-mid-stream'] as const;
const CACHE_TIERS = ['hit-exact', 'hit-semantic', 'miss', 'bypass', 'off'] as const;
const TOKEN_KINDS = ['prompt', 'cached_prompt', 'completion'] as const;

function countRequest(
  endpoint: Finished['endpoint'],
  route: string,
  status: number,
  outcome: Finished['outcome'],
  cache: string,
): void {
  const e = ENDPOINTS.indexOf(endpoint);
  const o = OUTCOMES.indexOf(outcome);
  const c = CACHE_TIERS.indexOf(cache as (typeof CACHE_TIERS)[number]);
  if (e < 0 || o < 0 || c < 0) {
    // A value this table does not know (never produced today): the plain, uncached way.
    requestsTotal.inc({ endpoint, route, status: String(status), outcome, cache });
    return;
  }
  let byRoute = counted.get(route);
  if (!byRoute) {
    byRoute = new Map();
    counted.set(route, byRoute);
  }
  const key = ((status * 8 + e) * 4 + o) * 8 + c;
  let slot = byRoute.get(key);
  if (slot === undefined) {
    slot = counterSlot(requestsTotal as Counter<string>, { endpoint, route, status: String(status), outcome, cache });
    byRoute.set(key, slot);
  }
  slot.inc();
}

function durationSlot(endpoint: 'chat' | 'embeddings' | 'messages', route: string, stream: boolean): HistogramSlot {
  let slots = timed.get(route);
  if (!slots) {
    slots = [];
    timed.set(route, slots);
  }
  const i = ENDPOINTS.indexOf(endpoint) * 2 + (stream ? 1 : 0);
  let slot = slots[i];
  if (!slot) {
    const labels = { endpoint, route, stream: stream ? 'true' : 'false' };
    slot = new HistogramSlot(requestDuration as Histogram<string>, labels, LATENCY_BUCKETS);
    slots[i] = slot;
  }
  return slot;
}

function ttftSlot(route: string): HistogramSlot {
  let slot = ttfts.get(route);
  if (!slot) {
    slot = new HistogramSlot(timeToFirstToken as Histogram<string>, { route }, LATENCY_BUCKETS);
    ttfts.set(route, slot);
  }
  return slot;
}

function tokens(route: string, kind: (typeof TOKEN_KINDS)[number]): CounterSlot {
  let slots = tokenCounters.get(route);
  if (!slots) {
    slots = TOKEN_KINDS.map((k) => counterSlot(tokensTotal as Counter<string>, { route, kind: k }));
    tokenCounters.set(route, slots);
  }
  return slots[TOKEN_KINDS.indexOf(kind)] as CounterSlot;
}

export function finishRequest(ex: Exchange, logger: Logger, f: Finished): void {
  const latencyMs = performance.now() - ex.startedAt;
  const ctx = f.ctx;
  const meta = ctx?.meta;
  const route = ctx?.route?.name ?? '';
  const firstAt = meta?.firstTokenAt ?? ex.firstByteAt;
  const ttftMs = f.stream && firstAt !== null ? firstAt - ex.receivedAt : null;
  const status = ex.aborted && ex.status === 0 ? 499 : ex.status;
  const usage = meta?.usage ?? null;

  const cache = meta?.cacheTier ?? 'off';
  countRequest(f.endpoint, route, status, f.outcome, cache);
  if (f.endpoint === 'chat' || f.endpoint === 'embeddings' || f.endpoint === 'messages') {
    durationSlot(f.endpoint, route, f.stream).observe(latencyMs / 1000);
    if (ttftMs !== null) ttftSlot(route).observe(ttftMs / 1000);
    if (usage) {
      tokens(route, 'prompt').inc(usage.promptTokens);
      if (usage.cachedInputTokens) tokens(route, 'cached_prompt').inc(usage.cachedInputTokens);
      tokens(route, 'completion').inc(usage.outputTokens);
    }
  }

  if (!logger.isLevelEnabled('info')) return;
  // Fields that carry no information for this request are left out: fewer keys, cheaper line.
  const line: Record<string, unknown> = {
    reqId: ex.requestId,
    endpoint: f.endpoint,
    status,
    outcome: f.outcome,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
  };
  if (f.endpoint === 'admin' || f.endpoint === 'client') line.path = ex.url;
  if (ctx) {
    if (ctx.key) {
      line.key = ctx.key.name;
      line.team = ctx.key.team;
    }
    if (route) line.route = route;
    line.snapshot = ctx.snapshot.version;
  }
  if (meta) {
    if (meta.provider) {
      line.provider = meta.provider;
      line.upstreamModel = meta.upstreamModel;
      line.attempts = meta.attempts;
    }
    if (meta.degraded) line.degraded = true;
    if (meta.cacheTier !== 'off') line.cache = meta.cacheTier;
    if (meta.queueId) line.queueId = meta.queueId;
    for (const _ in meta.redactions) {
      line.redactions = meta.redactions;
      break;
    }
  }
  if (f.stream) {
    line.stream = true;
    line.ttftMs = ttftMs;
  }
  if (usage) {
    line.promptTokens = usage.promptTokens;
    line.completionTokens = usage.outputTokens;
    if (usage.cachedInputTokens) line.cachedTokens = usage.cachedInputTokens;
  }
  if (f.error) line.errorCode = f.error.code;
  logInfoLine(logger, line, 'request');
}
