/**
 * The router: sends one request to an upstream target and decides what happens on failure.
 *
 * Order of events for a request on route R with fallbacks [F1, F2]:
 *   R: pick a healthy target (weighted) → call → on a failure kind listed in R.retry.on, retry
 *      (another untried target right away, else the same target after exponential backoff with
 *      full jitter, or the provider's Retry-After when larger) up to R.retry.attempts retries;
 *   then F1, then F2, each with its own targets and retry settings.
 * A context_length failure switches to R.contextWindowFallback (and that route's fallbacks).
 * bad_request and failure kinds not listed in retry.on end the request at once.
 * When every route ended for lack of capacity (rate limits, open circuits, account gates),
 * AllTargetsExhaustedError carries the soonest recovery time (the queue stage may park it).
 */
import type { Logger } from 'pino';
import type { ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { ProviderType, RouteRecord } from '../../common/snapshot.js';
import { GatewayError } from '../errors.js';
import { upstreamErrorsTotal } from '../observability/metrics.js';
import type { ProviderAccountGate } from '../pipeline/deps.js';
import type { Outcome, RequestContext } from '../pipeline/types.js';
import type { ProviderAdapter } from '../providers/types.js';
import { ProviderError } from '../providers/types.js';
import { runAttempt } from './attempt.js';
import { backoffDelayMs, type Rng, sleep } from './backoff.js';
import { chooseTarget, hasUntriedTarget, targetKey } from './choose.js';
import { commitJson, commitStream, type RunState, setAttemptHeaders } from './commit.js';
import { AllTargetsExhaustedError, clientClosed, toClientError } from './errors.js';
import { estimatePromptTokens, estimateTotalTokens } from './estimate.js';
import type { TargetHealth } from './target-health.js';

export interface RouterDeps {
  adapterFor(type: ProviderType): ProviderAdapter;
  providerGate: ProviderAccountGate;
  health: TargetHealth;
  logger?: Logger;
  /** Injectable for tests: randomness for weights and jitter, the clock, and the backoff sleep. */
  rng?: Rng;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type RouteResult =
  | { type: 'done'; outcome: Outcome }
  /** The route ended for lack of capacity (no target available, or the last failure was a 429). */
  | { type: 'capacity'; recoveryAt: number; sawOpenCircuit: boolean }
  | { type: 'failed'; error: ProviderError; provider: string }
  | { type: 'context_length'; error: ProviderError; provider: string };

export class Router {
  private readonly rng: Rng;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly deps: RouterDeps) {
    this.rng = deps.rng ?? Math.random;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms, signal) => sleep(ms, signal, clientClosed));
  }

  async handle(ctx: RequestContext): Promise<Outcome> {
    const primary = ctx.route;
    if (!primary) throw new GatewayError(500, 'api_error', 'route_unresolved', 'No route was resolved for the request');
    const run: RunState = {
      attempts: 0,
      primaryRoute: primary.name,
      firstModel: null,
      preferredModel: preferredModel(primary),
    };
    let queue = [primary.name, ...primary.fallback];
    const visited = new Set<string>();
    let capacityOnly = true;
    let sawOpenCircuit = false;
    let recoveryAt = Number.POSITIVE_INFINITY;
    let last: { error: ProviderError; provider: string } | null = null;
    try {
      while (queue.length > 0) {
        const name = queue.shift() as string;
        if (visited.has(name)) continue;
        visited.add(name);
        const route = ctx.snapshot.routes[name];
        if (!route || route.kind !== primary.kind) continue;
        const r = await this.tryRoute(ctx, route, run);
        if (r.type === 'done') return r.outcome;
        if (r.type === 'capacity') {
          recoveryAt = Math.min(recoveryAt, r.recoveryAt);
          sawOpenCircuit ||= r.sawOpenCircuit;
          continue;
        }
        if (r.type === 'context_length') {
          const cw = route.contextWindowFallback;
          const cwRoute = cw ? ctx.snapshot.routes[cw] : undefined;
          if (!cw || !cwRoute || visited.has(cw)) throw toClientError(r.error, r.provider);
          this.deps.logger?.info({ requestId: ctx.id, from: route.name, to: cw }, 'context-window fallback');
          queue = [cw, ...cwRoute.fallback];
          continue;
        }
        capacityOnly = false;
        last = { error: r.error, provider: r.provider };
      }
    } finally {
      setAttemptHeaders(ctx, run);
    }
    if (capacityOnly) {
      const wait = Number.isFinite(recoveryAt) ? Math.max(0, recoveryAt - this.now()) : 1_000;
      throw new AllTargetsExhaustedError(wait, !sawOpenCircuit, primary.name);
    }
    throw last ? toClientError(last.error, last.provider) : new AllTargetsExhaustedError(1_000, false, primary.name);
  }

  private async tryRoute(ctx: RequestContext, route: RouteRecord, run: RunState): Promise<RouteResult> {
    const failed = new Set<string>();
    const promptTokens = estimatePromptTokens(ctx);
    const estimatedTokens = estimateTotalTokens(ctx, route);
    const cfg = route.circuitBreaker;
    let retriesLeft = Math.max(0, route.retry.attempts);
    let backoffIndex = 0;
    let last: { error: ProviderError; provider: string } | null = null;
    for (;;) {
      if (ctx.signal.aborted) throw clientClosed();
      const now = this.now();
      const chosen = chooseTarget({
        snapshot: ctx.snapshot,
        route,
        failed,
        promptTokens,
        estimatedTokens,
        health: this.deps.health,
        gate: this.deps.providerGate,
        rng: this.rng,
        now,
      });
      const choice = chosen instanceof Promise ? await chosen : chosen;
      if (choice.type === 'none') {
        if (last) return routeFailure(last, this.now());
        if (choice.contextTooLarge) {
          const error = new ProviderError(
            'context_length',
            `about ${promptTokens} prompt tokens exceed the context window of every target of route '${route.name}'`,
            null,
          );
          return { type: 'context_length', error, provider: 'gateway' };
        }
        return { type: 'capacity', recoveryAt: choice.recoveryAt, sawOpenCircuit: choice.sawOpenCircuit };
      }
      const { target, provider } = choice;
      const breaker = this.deps.health.breaker(target, cfg, route.name);
      run.attempts++;
      ctx.meta.attempts = run.attempts;
      if (route.name === run.primaryRoute) run.firstModel ??= target.model;
      const probe = breaker.begin(now, cfg);
      let result: Awaited<ReturnType<typeof runAttempt>>;
      try {
        result = await runAttempt({
          adapter: this.deps.adapterFor(provider.type),
          target: { provider, model: target.model },
          timeouts: route.timeouts,
          signal: ctx.signal,
          requestId: ctx.id,
          call:
            ctx.endpoint === 'embeddings'
              ? { kind: 'embeddings', body: ctx.body as EmbeddingsRequest }
              : { kind: 'chat', body: ctx.body as ChatRequest },
        });
      } catch (err) {
        this.deps.providerGate.settle(ctx.snapshot, provider.id, estimatedTokens, 0);
        if (!(err instanceof ProviderError)) {
          breaker.neutral(probe);
          throw err;
        }
        upstreamErrorsTotal.inc({ provider: provider.id, kind: err.kind });
        this.deps.logger?.warn(
          {
            requestId: ctx.id,
            route: route.name,
            provider: provider.id,
            model: target.model,
            kind: err.kind,
            status: err.status,
            attempt: run.attempts,
          },
          'upstream attempt failed',
        );
        if (countsAgainstCircuit(err)) breaker.failure(this.now(), cfg, probe);
        else breaker.neutral(probe);
        if (err.kind === 'rate_limit' && err.retryAfterMs !== null) {
          this.deps.health.coolDown(target, this.now() + err.retryAfterMs);
        }
        if (err.kind === 'bad_request') throw toClientError(err, provider.id);
        if (err.kind === 'context_length') return { type: 'context_length', error: err, provider: provider.id };
        // auth is a property of one provider account: other targets may still work, the same one never.
        if (err.kind !== 'auth' && !route.retry.on.includes(err.kind)) throw toClientError(err, provider.id);
        last = { error: err, provider: provider.id };
        failed.add(targetKey(target));
        if (retriesLeft <= 0) return routeFailure(last, this.now());
        retriesLeft--;
        const untried = hasUntriedTarget({
          snapshot: ctx.snapshot,
          route,
          failed,
          promptTokens,
          health: this.deps.health,
          now: this.now(),
        });
        if (!untried && err.kind !== 'auth') {
          const retryAfter = err.kind === 'rate_limit' ? err.retryAfterMs : null;
          // A Retry-After beyond the route's patience parks the target instead of holding the request.
          if (retryAfter === null || retryAfter <= route.retry.maxDelayMs) {
            const delay = backoffDelayMs(
              backoffIndex++,
              route.retry.baseDelayMs,
              route.retry.maxDelayMs,
              this.rng,
              retryAfter,
            );
            await this.sleep(delay, ctx.signal);
          }
        }
        continue;
      }
      breaker.success(probe);
      const commit = {
        ctx,
        route,
        target,
        provider,
        run,
        estimatedTokens,
        gate: this.deps.providerGate,
        now: this.now,
      };
      if (result.type === 'json') return { type: 'done', outcome: commitJson(commit, result) };
      return {
        type: 'done',
        // A failure after the first chunk still says the target is unhealthy.
        outcome: commitStream(commit, result, () => breaker.failure(this.now(), cfg, false)),
      };
    }
  }
}

function routeFailure(last: { error: ProviderError; provider: string }, now: number): RouteResult {
  if (last.error.kind === 'rate_limit') {
    return { type: 'capacity', recoveryAt: now + (last.error.retryAfterMs ?? 1_000), sawOpenCircuit: false };
  }
  return { type: 'failed', error: last.error, provider: last.provider };
}

/** Only signs of an unhealthy upstream open circuits; a 429, 400 or context overflow does not. */
function countsAgainstCircuit(err: ProviderError): boolean {
  return err.kind === 'server_error' || err.kind === 'timeout' || err.kind === 'connection';
}

function preferredModel(route: RouteRecord): string | null {
  let best: RouteRecord['targets'][number] | null = null;
  for (const t of route.targets) if (t.weight > 0 && (!best || t.weight > best.weight)) best = t;
  return best?.model ?? null;
}
