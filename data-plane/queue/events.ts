/**
 * How outer stages (accounting) learn what became of a queued request. The queue stage answers
 * 202 and marks ctx.meta.status = 'queued' and ctx.meta.queueId; the queued run later goes
 * through limits and upstream again with the SAME ctx, so when it settles ctx.meta holds the
 * final provider, usage, attempts and error. Listeners registered after settlement are called
 * at once, so registration order never loses an event.
 */
import type { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/types.js';

export interface QueuedSettlement {
  /** ok: the run answered (result stored for polling); error: it failed; expired: maxWaitMs passed;
   *  aborted: the gateway shut down before the run. */
  status: 'ok' | 'error' | 'expired' | 'aborted';
  queueId: string;
  error: GatewayError | null;
  /** Epoch ms when the job settled. */
  settledAt: number;
}

type Listener = (ctx: RequestContext, settlement: QueuedSettlement) => void;

const listeners = new WeakMap<RequestContext, Listener[]>();
const settled = new WeakMap<RequestContext, QueuedSettlement>();

/** Calls `listener` once when the queued request behind `ctx` settles (or now, if it already did). */
export function onQueuedSettled(ctx: RequestContext, listener: Listener): void {
  const done = settled.get(ctx);
  if (done) {
    listener(ctx, done);
    return;
  }
  const list = listeners.get(ctx);
  if (list) list.push(listener);
  else listeners.set(ctx, [listener]);
}

/** Called by the queue once per queued request. */
export function emitQueuedSettled(ctx: RequestContext, settlement: QueuedSettlement): void {
  if (settled.has(ctx)) return;
  settled.set(ctx, settlement);
  const list = listeners.get(ctx) ?? [];
  listeners.delete(ctx);
  for (const l of list) {
    try {
      l(ctx, settlement);
    } catch {
      // A failing listener must not break the queue or the other listeners.
    }
  }
}
