/**
 * The bounded, prioritised queue of requests that found every upstream target exhausted.
 *
 * A job re-runs the rest of the pipeline (`next()`: limits → upstream) when capacity may be back:
 * at the route's expected recovery time (Retry-After / circuit cool-down carried by
 * AllTargetsExhaustedError) or as soon as a circuit leaves "open". After an exhausted re-run only
 * one job per route probes at a time until a run succeeds, so a recovering provider is not hit by
 * the whole backlog at once. Results are stored for the poll endpoint (read once); a client that
 * sent `Prefer: wait=N` gets the outcome inline instead.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError, serviceUnavailable } from '../errors.js';
import { queueDepth } from '../observability/metrics.js';
import { type Next, type Outcome, type RequestContext, rebindSignal } from '../pipeline/types.js';
import { AllTargetsExhaustedError, clientClosed } from '../routing/errors.js';
import { assembleCompletion } from './assemble.js';
import { emitQueuedSettled, type QueuedSettlement } from './events.js';
import { compareJobs, type QueueJob } from './job.js';
import { ResultStore } from './results.js';

export interface QueueOptions {
  now?: () => number;
  logger?: Logger;
  /** Queued runs in flight at once (per process). */
  concurrency?: number;
}

interface RouteState {
  blockedUntil: number;
  /** After an exhausted run: one probe at a time until a run succeeds. */
  probing: boolean;
  running: number;
}

/** Shortest pause before re-running after an exhausted run, whatever Retry-After said. */
const MIN_RETRY_MS = 50;
/** How long close() waits for cancelled runs to settle. */
const CLOSE_WAIT_MS = 5_000;

const SHUTTING_DOWN = () =>
  serviceUnavailable('The gateway shut down before the queued request finished', 'gateway_shutting_down');

export class RequestQueue {
  private readonly jobs = new Map<string, QueueJob>();
  private readonly routes = new Map<string, RouteState>();
  readonly results: ResultStore;
  private readonly now: () => number;
  private readonly concurrency: number;
  private running = 0;
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private closed = false;
  /** Moving average of how long a queued run takes, for wait estimates. */
  private avgRunMs = 1_000;

  constructor(private readonly opts: QueueOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.results = new ResultStore(this.now);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Parks a request; throws 503 queue_full when the queue is at `maxSize`. */
  enqueue(ctx: RequestContext, next: Next, cause: AllTargetsExhaustedError): QueueJob {
    const settings = ctx.snapshot.gateway.queue;
    const retryAfter = Math.max(1, Math.ceil(cause.retryAfterMs / 1000));
    if (this.closed || this.jobs.size >= settings.maxSize) {
      throw serviceUnavailable(
        `The request queue is full (${settings.maxSize} waiting) and no upstream target has capacity; retry later`,
        'queue_full',
        { 'retry-after': String(retryAfter) },
      );
    }
    const now = this.now();
    const route = ctx.route?.name ?? '';
    const job: QueueJob = {
      id: `q_${randomUUID().replaceAll('-', '')}`,
      keyHash: ctx.key?.hash ?? ctx.presentedKeyHash ?? '',
      routeName: route,
      capacityKey: capacityKeyOf(ctx),
      priority: ctx.key?.priority ?? 0,
      estimatedTokens: ctx.meta.inputTokensEstimate ?? 0,
      enqueuedAt: now,
      expiresAt: now + settings.maxWaitMs,
      agingMsPerPriority: settings.agingMsPerPriority,
      resultTtlMs: settings.resultTtlMs,
      ctx,
      next,
      controller: new AbortController(),
      state: 'waiting',
      notBefore: now + Math.max(MIN_RETRY_MS, cause.retryAfterMs),
      tries: 1,
      waiter: null,
      settleListeners: [],
    };
    this.jobs.set(job.id, job);
    this.blockRoute(job.capacityKey, job.notBefore);
    this.updateDepth(route);
    this.schedule();
    return job;
  }

  /**
   * Holds the caller until the job has run (outcome handed over inline) or `ms` passed while it
   * was still waiting (null: answer 202). A run that already started is awaited to its end.
   */
  waitInline(job: QueueJob, ms: number): Promise<Outcome | null> {
    return new Promise<Outcome | null>((resolve, reject) => {
      const signal = job.ctx.signal;
      const onAbort = () => {
        if (job.state === 'waiting') this.remove(job);
        finish();
        reject(clientClosed());
      };
      const finish = () => {
        signal.removeEventListener('abort', onAbort);
        if (job.waiter?.timer) clearTimeout(job.waiter.timer);
        job.waiter = null;
      };
      job.waiter = {
        resolve: (o) => {
          finish();
          resolve(o);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
        timer: setTimeout(() => {
          if (job.state === 'waiting') job.waiter?.resolve(null);
        }, ms),
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * The client got its 202: from now on the queued run must not depend on the finished HTTP
   * exchange, so the context's abort signal is replaced by the job's own.
   */
  detach(job: QueueJob): void {
    job.waiter = null;
    // A frozen context keeps the client's signal; the run then stops if that one aborts.
    rebindSignal(job.ctx, job.controller.signal);
  }

  /** Position (1 = next) and estimated seconds until the job runs. */
  status(job: QueueJob): { position: number; estimatedWaitSeconds: number } {
    const now = this.now();
    let position = 1;
    for (const other of this.jobs.values()) {
      if (other !== job && other.state === 'waiting' && compareJobs(other, job, now) < 0) position++;
    }
    const until = Math.max(job.notBefore, this.routes.get(job.capacityKey)?.blockedUntil ?? 0) - now;
    const queueMs = ((position - 1) * this.avgRunMs) / this.concurrency;
    return { position, estimatedWaitSeconds: Math.max(1, Math.ceil((Math.max(0, until) + queueMs) / 1000)) };
  }

  get(id: string, keyHash: string): QueueJob | null {
    const job = this.jobs.get(id);
    return job && job.keyHash === keyHash ? job : null;
  }

  /** Resolves when `job` has a stored result, or after `ms` (false), or when `signal` aborts. */
  waitForResult(job: QueueJob, ms: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      job.settleListeners.push(() => done(true));
    });
  }

  /** Capacity may be back (a circuit left "open"): lift route blocks and try again now. */
  wake(): void {
    for (const r of this.routes.values()) r.blockedUntil = 0;
    for (const j of this.jobs.values()) j.notBefore = Math.min(j.notBefore, this.now());
    this.pump();
  }

  /** Stops the worker; waiting jobs settle as aborted (503), running ones are cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const err = SHUTTING_DOWN();
    for (const job of [...this.jobs.values()]) {
      if (job.state === 'running') {
        job.controller.abort(err);
        continue;
      }
      this.remove(job);
      if (job.waiter) job.waiter.reject(err);
      else this.store(job, err.status, err.toBody(), { status: 'aborted', error: err });
    }
    // Let cancelled runs settle (their accounting must be reported), but never hang shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Starts as many eligible jobs as concurrency allows, then sets the timer for the next event. */
  private pump(): void {
    if (this.closed) return;
    this.expireWaiting();
    while (this.running < this.concurrency) {
      const job = this.pickNext();
      if (!job) break;
      const run = this.execute(job);
      this.inflight.add(run);
      void run.finally(() => this.inflight.delete(run));
    }
    this.schedule();
  }

  private pickNext(): QueueJob | null {
    const now = this.now();
    let best: QueueJob | null = null;
    for (const job of this.jobs.values()) {
      if (job.state !== 'waiting' || job.notBefore > now) continue;
      const r = this.routes.get(job.capacityKey);
      if (r && (r.blockedUntil > now || (r.probing && r.running > 0))) continue;
      if (!best || compareJobs(job, best, now) < 0) best = job;
    }
    return best;
  }

  private async execute(job: QueueJob): Promise<void> {
    const route = this.routeState(job.capacityKey);
    job.state = 'running';
    this.running++;
    route.running++;
    this.updateDepth(job.routeName);
    const started = this.now();
    try {
      const outcome = await job.next().finally(() => {
        // Anything but "exhausted again" means capacity is back: let the backlog run in parallel.
        route.probing = false;
      });
      this.avgRunMs = 0.8 * this.avgRunMs + 0.2 * (this.now() - started);
      if (job.waiter) {
        this.jobs.delete(job.id);
        job.waiter.resolve(outcome);
        return;
      }
      const body = outcome.type === 'json' ? outcome.body : await assembleCompletion(outcome.chunks);
      const status = outcome.type === 'json' ? outcome.status : 200;
      this.jobs.delete(job.id);
      this.store(job, status, body, { status: 'ok', error: null });
    } catch (err) {
      if (err instanceof AllTargetsExhaustedError && !this.closed && job.expiresAt > this.now()) {
        job.state = 'waiting';
        route.probing = true;
        job.tries++;
        job.notBefore = this.now() + Math.max(MIN_RETRY_MS, err.retryAfterMs);
        this.blockRoute(job.capacityKey, job.notBefore);
        return;
      }
      const error = this.closed ? SHUTTING_DOWN() : asGatewayError(err);
      this.jobs.delete(job.id);
      if (job.waiter) job.waiter.reject(error);
      else this.store(job, error.status, error.toBody(), { status: this.closed ? 'aborted' : 'error', error });
      this.opts.logger?.warn({ requestId: job.ctx.id, queueId: job.id, code: error.code }, 'queued request failed');
    } finally {
      this.running--;
      route.running--;
      this.updateDepth(job.routeName);
      this.pump();
    }
  }

  private store(job: QueueJob, status: number, body: unknown, s: Pick<QueuedSettlement, 'status' | 'error'>): void {
    const now = this.now();
    this.results.put(job.id, { keyHash: job.keyHash, status, body, expiresAt: now + job.resultTtlMs });
    emitQueuedSettled(job.ctx, { ...s, queueId: job.id, settledAt: now });
    for (const l of job.settleListeners.splice(0)) l();
  }

  private expireWaiting(): void {
    const now = this.now();
    for (const job of [...this.jobs.values()]) {
      if (job.state !== 'waiting' || job.expiresAt > now) continue;
      this.remove(job);
      const waited = Math.round((now - job.enqueuedAt) / 1000);
      const error = new GatewayError(
        410,
        'invalid_request_error',
        'queue_request_expired',
        `The queued request expired after waiting ${waited}s without upstream capacity`,
      );
      if (job.waiter) job.waiter.reject(serviceUnavailable(error.message, 'queue_request_expired'));
      else this.store(job, error.status, error.toBody(), { status: 'expired', error });
    }
  }

  private remove(job: QueueJob): void {
    this.jobs.delete(job.id);
    this.updateDepth(job.routeName);
  }

  private schedule(): void {
    if (this.closed) return;
    const now = this.now();
    let at = this.results.sweep();
    const inUse = new Set<string>();
    for (const job of this.jobs.values()) inUse.add(job.capacityKey);
    for (const [key, r] of this.routes) if (r.running === 0 && !inUse.has(key)) this.routes.delete(key);
    for (const job of this.jobs.values()) {
      if (job.state !== 'waiting') continue;
      at = Math.min(at, job.expiresAt);
      // Jobs runnable now but not started wait for a running job to finish (its finally pumps).
      const ready = Math.max(job.notBefore, this.routes.get(job.capacityKey)?.blockedUntil ?? 0);
      if (ready > now) at = Math.min(at, ready);
    }
    if (!Number.isFinite(at)) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.max(0, at - this.now()),
    );
    this.timer.unref();
  }

  /** The newest recovery estimate wins: it comes from the router's freshest look at the targets. */
  private blockRoute(key: string, until: number): void {
    const r = this.routeState(key);
    r.blockedUntil = until;
    r.probing = true;
  }

  private routeState(key: string): RouteState {
    let r = this.routes.get(key);
    if (!r) {
      r = { blockedUntil: 0, probing: false, running: 0 };
      this.routes.set(key, r);
    }
    return r;
  }

  private updateDepth(route: string): void {
    let n = 0;
    for (const j of this.jobs.values()) if (j.routeName === route && j.state === 'waiting') n++;
    queueDepth.set({ route }, n);
  }
}

/**
 * Jobs that compete for the same upstream capacity: the route's name and its targets (a snapshot
 * swap that changes the targets starts a fresh group; an unchanged route keeps its state).
 */
function capacityKeyOf(ctx: RequestContext): string {
  const r = ctx.route;
  if (!r) return '';
  return `${r.name}|${r.targets.map((t) => `${t.provider}/${t.model}`).join(',')}|${r.fallback.join(',')}`;
}

function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError(500, 'api_error', 'internal_error', `Queued request failed: ${message}`);
}
