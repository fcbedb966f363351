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
      tokensTotal.inc({ route, kind: 'prompt' }, usage.promptTokens);
      if (usage.cachedInputTokens) tokensTotal.inc({ route, kind: 'cached_prompt' }, usage.cachedInputTokens);
      tokensTotal.inc({ route, kind: 'completion' }, usage.outputTokens);
    }
  }

  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      reqId: ex.requestId,
      method: ex.method,
      path: ex.url,
      endpoint: f.endpoint,
      key: ctx?.key?.name ?? null,
      team: ctx?.key?.team ?? null,
      route: route || null,
      provider: meta?.provider ?? null,
      upstreamModel: meta?.upstreamModel ?? null,
      attempts: meta?.attempts ?? 0,
      degraded: meta?.degraded ?? false,
      status,
      outcome: f.outcome,
      stream: f.stream,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      ttftMs,
      promptTokens: usage?.promptTokens ?? null,
      completionTokens: usage?.outputTokens ?? null,
      cachedTokens: usage?.cachedInputTokens ?? null,
      cache: meta?.cacheTier ?? null,
      queueId: meta?.queueId ?? null,
      redactions: meta && Object.keys(meta.redactions).length > 0 ? meta.redactions : undefined,
      snapshot: ctx?.snapshot.version ?? null,
      errorCode: f.error?.code ?? null,
    },
    'request',
  );
}
