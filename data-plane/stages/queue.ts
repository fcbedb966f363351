/**
 * The queue stage: when every upstream target is exhausted and the route says
 * `onExhausted: queue`, the request is parked instead of failing. The client gets
 * 202 {status:"queued", queue_id, estimated_wait_seconds, poll_url}, or — with `Prefer: wait=N` —
 * the real answer inline if it ran within N seconds. See docs/routing.md.
 */
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';
import type { Next, Outcome, RequestContext } from '../pipeline/types.js';
import type { QueueJob } from '../queue/job.js';
import { QUEUE_PATH_PREFIX, queuePollRoute } from '../queue/poll-route.js';
import { preferWaitMs } from '../queue/prefer.js';
import { RequestQueue } from '../queue/request-queue.js';
import { AllTargetsExhaustedError } from '../routing/errors.js';
import { routingRuntime } from '../routing/runtime.js';

export interface QueueStageOptions {
  now?: () => number;
  concurrency?: number;
}

export function createQueueStage(deps: StageDeps, opts: QueueStageOptions = {}): BuiltStage & { queue: RequestQueue } {
  const queue = new RequestQueue({ now: opts.now, logger: deps.logger, concurrency: opts.concurrency });
  const stopWake = routingRuntime(deps).health.onRecovery(() => queue.wake());

  async function run(ctx: RequestContext, next: Next): Promise<Outcome> {
    try {
      return await next();
    } catch (err) {
      if (!(err instanceof AllTargetsExhaustedError) || ctx.route?.onExhausted !== 'queue' || ctx.signal.aborted) {
        throw err;
      }
      const job = queue.enqueue(ctx, next, err);
      ctx.meta.queueId = job.id;
      const waitMs = preferWaitMs(ctx.headers.prefer);
      if (waitMs > 0) {
        const outcome = await queue.waitInline(job, waitMs);
        if (outcome) {
          ctx.responseHeaders['x-sluice-queued-ms'] = String(Date.now() - job.enqueuedAt);
          return outcome;
        }
      }
      return ticket(ctx, job);
    }
  }

  function ticket(ctx: RequestContext, job: QueueJob): Outcome {
    queue.detach(job);
    ctx.meta.status = 'queued';
    const { estimatedWaitSeconds } = queue.status(job);
    const pollUrl = `${QUEUE_PATH_PREFIX}${job.id}`;
    ctx.responseHeaders.location = pollUrl;
    ctx.responseHeaders['retry-after'] = String(estimatedWaitSeconds);
    return {
      type: 'json',
      status: 202,
      body: { status: 'queued', queue_id: job.id, estimated_wait_seconds: estimatedWaitSeconds, poll_url: pollUrl },
    };
  }

  return {
    name: 'queue',
    run,
    queue,
    clientRoutes: [queuePollRoute(queue)],
    async close() {
      stopWake();
      await queue.close();
    },
  };
}
