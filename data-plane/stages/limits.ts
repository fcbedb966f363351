/**
 * The limits stage: reserve before the upstream call, reconcile after it.
 *   1. estimate tokens and worst-case micro-dollars (data-plane/limits/estimate.ts);
 *   2. reserve against key, team and org in one atomic step (refusal → 429 with Retry-After and
 *      x-ratelimit-* headers; code budget_exceeded or rate_limit_exceeded);
 *   3. after a JSON answer reconcile at once; after a stream reconcile in the wrapper's finally
 *      (completed, aborted or failed — ctx.meta.usage says what was received).
 * A limiter outage applies route.limiterFailureMode ?? gateway.limiterFailureMode.
 * Cache hits never get here (the cache stage is outside), so they cost nothing against budgets.
 */
import type { Logger } from 'pino';
import type { ChatChunk } from '../../common/openai-types.js';
import type { Snapshot } from '../../common/snapshot.js';
import { warmTokenizers } from '../../common/tokens.js';
import { rateLimited, serviceUnavailable } from '../errors.js';
import { BudgetAlerter } from '../limits/alerts.js';
import { closeSharedLimiterBackend, sharedLimiterBackend } from '../limits/backend.js';
import { budgetReport } from '../limits/budget-report.js';
import { estimateReservation } from '../limits/estimate.js';
import { addRateLimitHeaders, rateLimitHeaders, refusalMessage } from '../limits/headers.js';
import { MemoryLimiter } from '../limits/memory-limiter.js';
import { limiterUnavailable, limitRejections } from '../limits/metrics.js';
import { cachedChainSpecs, chainSpecs, nodeSpec, scopeOfChain, scopeOfNode } from '../limits/node-specs.js';
import { PeriodCache } from '../limits/period.js';
import { SETTLED, settler } from '../limits/settle.js';
import type { Limiter, ReserveResult } from '../limits/types.js';
import type { BuiltStage, SnapshotSource, StageDeps } from '../pipeline/deps.js';
import { type SyncPullIterator, syncPullOf } from '../pipeline/stream-chunks.js';
import type { Next, Outcome, RequestContext } from '../pipeline/types.js';

export interface LimitsStageOptions {
  limiter: Limiter;
  logger: Logger;
  snapshots?: SnapshotSource;
  clock?: () => number;
  alerter?: BudgetAlerter;
  onClose?: () => Promise<void>;
}

let reservationSeq = 0;
const replicaTag = `${process.pid.toString(36)}-${Date.now().toString(36)}`;

export async function createLimitsStage(deps: StageDeps): Promise<BuiltStage> {
  const backend = await sharedLimiterBackend(deps.config, deps.logger);
  return buildLimitsStage({
    limiter: backend.limiter,
    logger: deps.logger,
    snapshots: deps.snapshots,
    onClose: () => closeSharedLimiterBackend(deps.config),
  });
}

export function buildLimitsStage(opts: LimitsStageOptions): BuiltStage {
  const { limiter, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const alerter = opts.alerter ?? new BudgetAlerter(logger);
  const periods = new PeriodCache();
  const settleDeps = { limiter, alerter, logger, clock };
  const memory = limiter instanceof MemoryLimiter ? limiter : null;
  let lastOutageLog = 0;
  warmTokenizers();

  // In-memory mode: load period-to-date spend of every node now (start-up, each new snapshot),
  // so the ledger query never runs on a request's path.
  if (limiter instanceof MemoryLimiter && opts.snapshots) {
    const prime = (s: Snapshot) => {
      const now = clock();
      for (const node of Object.values(s.nodes)) {
        limiter.prime(scopeOfNode(s, node.id), [nodeSpec(node, now, periods)], now);
      }
    };
    const current = opts.snapshots.current();
    if (current) prime(current);
    opts.snapshots.onSwap(prime);
  }

  const onOutage = (ctx: RequestContext, err: unknown, next: Next): Promise<Outcome> => {
    const mode = ctx.route?.limiterFailureMode ?? ctx.snapshot.gateway.limiterFailureMode;
    limiterUnavailable.inc({ backend: limiter.backend, op: 'reserve', mode });
    const now = clock();
    if (now - lastOutageLog > 10_000) {
      lastOutageLog = now;
      logger.error(
        { err: err instanceof Error ? err.message : String(err), mode },
        `limits: limiter backend unavailable, failing ${mode}`,
      );
    }
    if (mode === 'open') {
      ctx.responseHeaders['x-sluice-limits'] = 'bypassed';
      return next();
    }
    throw serviceUnavailable('Rate limiter unavailable; the request was not admitted', 'limiter_unavailable', {
      'retry-after': '1',
    });
  };

  const refuse = (ctx: RequestContext, out: Extract<ReserveResult, { ok: false }>, tokens: number, micros: number) => {
    const view = out.views.find((v) => v.id === out.nodeId);
    const spec = ctx.key ? chainSpecs(ctx.snapshot, ctx.key, clock(), periods).find((s) => s.id === out.nodeId) : null;
    limitRejections.inc({ reason: out.reason, kind: out.nodeId.slice(0, out.nodeId.indexOf(':')) });
    const headers = rateLimitHeaders(out.views);
    if (!out.impossible) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(out.retryAfterMs / 1000)));
      headers['retry-after-ms'] = String(Math.max(0, Math.ceil(out.retryAfterMs)));
    }
    const message = refusalMessage({ ...out, view, tokens, micros, periodEnd: spec?.periodEnd ?? 0 });
    return rateLimited(message, out.reason === 'budget' ? 'budget_exceeded' : 'rate_limit_exceeded', headers);
  };

  return {
    name: 'limits',
    async run(ctx, next) {
      const { key, route } = ctx;
      if (!key || !route) return next(); // auth always sets both; nothing to charge otherwise
      const now = clock();
      const est = estimateReservation(ctx, route);
      ctx.meta.inputTokensEstimate = est.inputTokens;
      let out: ReserveResult;
      try {
        const request = {
          id: `${replicaTag}-${reservationSeq++}`,
          scope: scopeOfChain(key),
          nodes: cachedChainSpecs(ctx.snapshot, key, now, periods),
          tokens: est.tokens,
          micros: est.micros,
          now,
          leaseMs: ctx.snapshot.gateway.reservationLeaseMs,
          hold: true,
        };
        // The in-memory limiter is synchronous: no promise hop (and its views are read in the same turn).
        out = memory ? memory.reserveSync(request) : await limiter.reserve(request);
      } catch (err) {
        return onOutage(ctx, err, next);
      }
      if (!out.ok) throw refuse(ctx, out, est.tokens, est.micros);
      addRateLimitHeaders(ctx.responseHeaders, out.views);
      const settle = settler(settleDeps, ctx, out.reservation);
      let outcome: Outcome;
      try {
        outcome = await next();
      } catch (err) {
        // provider error: refund, or charge the usage it reported
        const settled = settle(false);
        if (settled !== SETTLED) await settled;
        throw err;
      }
      if (outcome.type === 'json') {
        const settled = settle(true);
        if (settled !== SETTLED) await settled;
        return outcome;
      }
      return { type: 'stream', chunks: settleAfterStream(outcome.chunks, settle, ctx) };
    },
    adminRoutes: [
      {
        method: 'GET',
        path: '/admin/budgets',
        handler: async (req) => ({
          status: 200,
          body: await budgetReport(limiter, req.snapshot, clock(), periods, req.query.get('node')),
        }),
      },
    ],
    async close() {
      await alerter.close();
      await opts.onClose?.();
    },
  };
}

/**
 * Reconciles once the stream ended — completed, failed or closed early by the consumer — after
 * the inner iterator finished (its own finally ran, so ctx.meta.usage holds what was streamed,
 * what the client received, or nothing). A plain iterator rather than an async generator: a
 * generator layer costs a resume, an await and a promise per chunk; this costs one `then`, and
 * nothing at all on the sync fast path (a chunk the inner iterator already holds).
 * If the client leaves before the stream is ever iterated, the abort signal settles instead.
 */
function settleAfterStream(
  chunks: AsyncIterable<ChatChunk>,
  settle: (final: boolean) => Promise<void>,
  ctx: RequestContext,
): AsyncIterable<ChatChunk> {
  let started = false;
  const onAbort = () => {
    if (!started) void settle(true);
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let inner: AsyncIterator<ChatChunk> | null = null;
  let innerSync: (() => IteratorResult<ChatChunk> | undefined) | null = null;
  let ended = false;
  /** The end the sync path reached while the reconcile is still running: next() hands it out. */
  let deferred: Promise<IteratorResult<ChatChunk>> | null = null;
  /** Reconciles once; SETTLED when that finished synchronously (in-memory limiter). */
  const end = (): Promise<void> => {
    if (ended) return SETTLED;
    ended = true;
    ctx.signal.removeEventListener('abort', onAbort);
    return settle(true);
  };
  const done = (): IteratorResult<ChatChunk> => ({ done: true, value: undefined });
  const open = (): AsyncIterator<ChatChunk> => {
    started = true;
    if (inner === null) {
      inner = chunks[Symbol.asyncIterator]();
      innerSync = syncPullOf(inner);
    }
    return inner;
  };
  const iterator: AsyncIterableIterator<ChatChunk> & SyncPullIterator<ChatChunk> = {
    [Symbol.asyncIterator]: () => iterator,
    nextSync() {
      if (ended) return deferred === null ? done() : undefined;
      open();
      if (innerSync === null) return undefined;
      let r: IteratorResult<ChatChunk> | undefined;
      try {
        r = innerSync();
      } catch (err) {
        const settling = end();
        if (settling === SETTLED) throw err;
        deferred = settling.then(() => Promise.reject(err));
        return undefined;
      }
      if (r === undefined || !r.done) return r;
      const settling = end();
      if (settling === SETTLED) return done();
      deferred = settling.then(done);
      return undefined;
    },
    next() {
      if (deferred !== null) {
        const d = deferred;
        deferred = null;
        return d;
      }
      if (ended) return Promise.resolve(done());
      return open()
        .next()
        .then(
          (r) => {
            if (!r.done) return r;
            const settling = end();
            return settling === SETTLED ? done() : settling.then(done);
          },
          (err: unknown) => {
            const settling = end();
            if (settling === SETTLED) throw err;
            return settling.then(() => Promise.reject(err));
          },
        );
    },
    async return() {
      if (ended) {
        if (deferred !== null) {
          deferred.catch(() => {});
          deferred = null;
        }
        return done();
      }
      if (!started) {
        // As a generator closed before its first next(): nothing ran; the abort listener stays.
        ended = true;
        return done();
      }
      try {
        if (inner) await inner.return?.();
      } finally {
        await end();
      }
      return done();
    },
  };
  return iterator;
}
