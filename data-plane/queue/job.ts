/** One queued request and what its owner may later read back. */
import type { Next, Outcome, RequestContext } from '../pipeline/types.js';

export interface InlineWaiter {
  /** null: the wait ran out before the job started (answer 202 instead). */
  resolve(outcome: Outcome | null): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout | null;
}

export interface QueueJob {
  readonly id: string;
  /** Only this key may read the job back. */
  readonly keyHash: string;
  readonly routeName: string;
  /** Groups jobs that compete for the same upstream targets (see request-queue.ts). */
  readonly capacityKey: string;
  readonly priority: number;
  readonly estimatedTokens: number;
  readonly enqueuedAt: number;
  readonly expiresAt: number;
  readonly agingMsPerPriority: number;
  readonly resultTtlMs: number;
  readonly ctx: RequestContext;
  readonly next: Next;
  /** Owns the queued run once the client got its 202 (the HTTP exchange is over by then). */
  readonly controller: AbortController;
  state: 'waiting' | 'running';
  /** Earliest epoch ms at which this job may run again. */
  notBefore: number;
  tries: number;
  /** Set while a `Prefer: wait` client holds the connection: the outcome is handed to it inline. */
  waiter: InlineWaiter | null;
  /** Called when the job's stored result exists (GET /v1/queue/{id} with Prefer: wait). */
  settleListeners: Array<() => void>;
}

/** What GET /v1/queue/{id} hands out, once. */
export interface StoredResult {
  keyHash: string;
  status: number;
  body: unknown;
  expiresAt: number;
}

/**
 * Queue order: higher key priority first, where waiting `agingMsPerPriority` counts as one more
 * priority level (so low priorities are never starved); within a level shorter requests first;
 * then first come, first served.
 */
export function effectivePriority(job: QueueJob, now: number): number {
  const aging = job.agingMsPerPriority > 0 ? Math.floor((now - job.enqueuedAt) / job.agingMsPerPriority) : 0;
  return job.priority + aging;
}

export function compareJobs(a: QueueJob, b: QueueJob, now: number): number {
  const pa = effectivePriority(a, now);
  const pb = effectivePriority(b, now);
  if (pa !== pb) return pb - pa;
  if (a.estimatedTokens !== b.estimatedTokens) return a.estimatedTokens - b.estimatedTokens;
  return a.enqueuedAt - b.enqueuedAt;
}
