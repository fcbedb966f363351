/**
 * Queued requests (202 + poll) produce ONE usage event, when the queued job settles, not two.
 * The queue stage runs the job later on the same RequestContext, so its ctx.meta ends up final;
 * the queue reports settlement through data-plane/queue/events.ts (onQueuedSettled), which the
 * accounting stage forwards to settle(). Safety net: a job never reported by its deadline (queue
 * max wait + two route total timeouts) is emitted with what is known (status 'expired' if it
 * never ran), and close() emits everything still waiting — an event is never lost.
 */
import type { RequestContext } from '../pipeline/types.js';

interface Waiting {
  ctx: RequestContext;
  deadline: number;
}

export class QueuedRequests {
  private readonly waiting = new Map<string, Waiting>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly emit: (ctx: RequestContext, endedAt: number) => void,
    checkEveryMs = 1_000,
  ) {
    this.timer = setInterval(() => this.check(Date.now()), checkEveryMs);
    this.timer.unref();
  }

  get size(): number {
    return this.waiting.size;
  }

  add(ctx: RequestContext): void {
    const { queue } = ctx.snapshot.gateway;
    const total = ctx.route?.timeouts.totalMs ?? 60_000;
    this.waiting.set(ctx.id, { ctx, deadline: Date.now() + queue.maxWaitMs + 2 * total });
  }

  /** The queue's hook: the job behind ctx finished (any outcome) or expired. */
  settle(ctx: RequestContext): void {
    if (!this.waiting.delete(ctx.id)) return;
    this.emit(ctx, Date.now());
  }

  check(now: number): void {
    for (const [id, w] of this.waiting) {
      if (now < w.deadline) continue;
      this.waiting.delete(id);
      if (w.ctx.meta.status === 'queued' && w.ctx.meta.attempts === 0 && !w.ctx.meta.usage) {
        w.ctx.meta.status = 'expired';
      }
      this.emit(w.ctx, now);
    }
  }

  close(): void {
    clearInterval(this.timer);
    const now = Date.now();
    for (const w of this.waiting.values()) this.emit(w.ctx, now);
    this.waiting.clear();
  }
}
