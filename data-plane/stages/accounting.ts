/**
 * Accounting: the outermost stage. Every request yields exactly one usage event — answered,
 * rejected (401/403/429…), failed, aborted, cached, streamed or queued — built after inner stages
 * are done (for streams, when the stream ends) and handed to the usage recorder without waiting.
 * Also serves the usage API (GET /v1/usage, GET /v1/usage/burn) as admin routes.
 */
import { GatewayError } from '../errors.js';
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';
import type { Outcome, RequestContext } from '../pipeline/types.js';
import { onQueuedSettled } from '../queue/events.js';
import { usageAdminRoutes } from '../usage/api/admin-routes.js';
import { buildUsageEvent, type Ending } from '../usage/build-event.js';
import { createUsageQueryService } from '../usage/query/service.js';
import { QueuedRequests } from '../usage/queued.js';
import { createUsageRecorder, type RecorderOptions, type UsageRecorder } from '../usage/recorder.js';
import { onStreamEnd } from '../usage/stream-end.js';

export interface AccountingStage extends BuiltStage {
  readonly recorder: UsageRecorder;
  /** The queue's hook: call when a queued request's job settled (finished, failed or expired). */
  settleQueued(ctx: RequestContext): void;
  close(): Promise<void>;
}

export async function createAccountingStage(deps: StageDeps): Promise<AccountingStage> {
  return createAccountingStageWith(deps, {});
}

/** Same, with recorder tuning (tests and benchmarks use short flush/retry intervals, extra sinks). */
export async function createAccountingStageWith(
  deps: StageDeps,
  tuning: Partial<Omit<RecorderOptions, 'dataDir' | 'clickhouseUrl' | 'logger'>>,
): Promise<AccountingStage> {
  const logger = deps.logger.child({ component: 'usage' });
  const recorder = await createUsageRecorder({
    ...tuning,
    dataDir: deps.config.dataDir,
    clickhouseUrl: deps.config.clickhouseUrl,
    logger,
  });
  const query = createUsageQueryService({ dataDir: deps.config.dataDir, clickhouseUrl: deps.config.clickhouseUrl });
  const replica = deps.config.replicaId;

  const record = (ctx: RequestContext, end: Ending): void => {
    try {
      recorder.record(buildUsageEvent(ctx, end, replica));
    } catch (err) {
      // Never fail a request because of analytics; a bug here must still be visible.
      logger.error({ err, requestId: ctx.id }, 'failed to build usage event');
    }
  };

  const queued = new QueuedRequests((ctx, endedAt) => {
    if (ctx.meta.status === 'queued' && (ctx.meta.attempts > 0 || ctx.meta.usage)) {
      ctx.meta.status = ctx.meta.error ? 'error' : 'ok';
    }
    record(ctx, { endedAt, httpStatus: 202, error: ctx.meta.error, abandoned: false });
  });

  async function run(ctx: RequestContext, next: () => Promise<Outcome>): Promise<Outcome> {
    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      const httpStatus = error instanceof GatewayError ? error.status : 500;
      record(ctx, { endedAt: Date.now(), httpStatus, error, abandoned: false });
      throw error;
    }
    if (outcome.type === 'stream') {
      const chunks = onStreamEnd(
        outcome.chunks,
        ctx.signal,
        () => {
          if (ctx.meta.firstTokenAt === null) ctx.meta.firstTokenAt = Date.now();
        },
        (end) => record(ctx, { endedAt: Date.now(), httpStatus: 200, error: end.error, abandoned: end.abandoned }),
      );
      return { type: 'stream', chunks };
    }
    if (outcome.status === 202 && (ctx.meta.status === 'queued' || ctx.meta.queueId)) {
      ctx.meta.status = 'queued';
      queued.add(ctx);
      onQueuedSettled(ctx, (c, settlement) => {
        c.meta.status = settlement.status;
        if (settlement.error) c.meta.error = settlement.error;
        queued.settle(c);
      });
      return outcome;
    }
    if (ctx.meta.firstTokenAt === null && outcome.status < 300) ctx.meta.firstTokenAt = Date.now();
    record(ctx, { endedAt: Date.now(), httpStatus: outcome.status, error: null, abandoned: false });
    return outcome;
  }

  return {
    name: 'accounting',
    recorder,
    run,
    settleQueued: (ctx) => queued.settle(ctx),
    adminRoutes: usageAdminRoutes(query),
    async close() {
      queued.close();
      await recorder.close();
      await query.close();
    },
  };
}
