/**
 * The one structured log line and the metrics of a finished request. Never logs prompt or
 * completion contents, nor secrets: only ids, names, counts and timings.
 */
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { GatewayError } from '../errors.js';
import { requestDuration, requestsTotal, timeToFirstToken, tokensTotal } from '../observability/metrics.js';
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

// Bound label children, cached: prom-client hashes the label object on every inc/observe otherwise.
// Cardinality is bounded by routes × statuses, the same as the metric's own.
const counted = new Map<string, Counter.Internal>();
const timed = new Map<string, Histogram.Internal<string>>();
const ttfts = new Map<string, Histogram.Internal<string>>();
const tokenCounters = new Map<string, Counter.Internal>();
const tokens = (route: string, kind: 'prompt' | 'cached_prompt' | 'completion') =>
  child(tokenCounters, `${route}|${kind}`, () => tokensTotal.labels({ route, kind }));

function child<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let c = cache.get(key);
  if (c === undefined) {
    c = make();
    cache.set(key, c);
  }
  return c;
}

export function finishRequest(ex: Exchange, logger: Logger, f: Finished): void {
  const latencyMs = Number(process.hrtime.bigint() - ex.startedNs) / 1e6;
  const ctx = f.ctx;
  const meta = ctx?.meta;
  const route = ctx?.route?.name ?? '';
  const firstAt = meta?.firstTokenAt ?? ex.firstByteAt;
  const ttftMs = f.stream && firstAt !== null ? firstAt - ex.receivedAt : null;
  const status = ex.aborted && ex.status === 0 ? 499 : ex.status;
  const usage = meta?.usage ?? null;

  const cache = meta?.cacheTier ?? 'off';
  child(counted, `${f.endpoint}|${route}|${status}|${f.outcome}|${cache}`, () =>
    requestsTotal.labels({ endpoint: f.endpoint, route, status: String(status), outcome: f.outcome, cache }),
  ).inc();
  if (f.endpoint === 'chat' || f.endpoint === 'embeddings' || f.endpoint === 'messages') {
    const stream = f.stream ? 'true' : 'false';
    child(timed, `${f.endpoint}|${route}|${stream}`, () =>
      requestDuration.labels({ endpoint: f.endpoint, route, stream }),
    ).observe(latencyMs / 1000);
    if (ttftMs !== null) child(ttfts, route, () => timeToFirstToken.labels({ route })).observe(ttftMs / 1000);
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
  logger.info(line, 'request');
}
