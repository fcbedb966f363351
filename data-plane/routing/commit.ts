/**
 * What the router does once an attempt succeeded: record who answered in ctx.meta and in the
 * x-sluice-* response headers, settle the provider-account gate with the real token count, and
 * (for streams) hand out the committed stream whose `finally` records the usage received.
 */
import type { ProviderRecord, RouteRecord, RouteTarget } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';
import { upstreamErrorsTotal } from '../observability/metrics.js';
import type { ProviderAccountGate } from '../pipeline/deps.js';
import type { Outcome, RequestContext } from '../pipeline/types.js';
import type { AttemptResult } from './attempt.js';
import { committedStream } from './committed-stream.js';

/** Per-request routing state shared across routes and attempts. */
export interface RunState {
  attempts: number;
  primaryRoute: string;
  /** Model of the first target attempted on the primary route. */
  firstModel: string | null;
  /** The primary route's highest-weight model (reference when no primary target was tried). */
  preferredModel: string | null;
}

export interface CommitInput {
  ctx: RequestContext;
  route: RouteRecord;
  target: RouteTarget;
  provider: ProviderRecord;
  run: RunState;
  estimatedTokens: number;
  gate: ProviderAccountGate;
  now: () => number;
}

export function setAttemptHeaders(ctx: RequestContext, run: RunState): void {
  ctx.responseHeaders['x-sluice-attempts'] = String(run.attempts);
}

function recordWinner(c: CommitInput): void {
  const { ctx, target, run } = c;
  const reference = run.firstModel ?? run.preferredModel;
  ctx.meta.provider = c.provider.id;
  ctx.meta.upstreamModel = target.model;
  ctx.meta.attempts = run.attempts;
  ctx.meta.degraded = reference !== null && reference !== target.model;
  ctx.meta.firstTokenAt = c.now();
  const h = ctx.responseHeaders;
  h['x-sluice-provider'] = c.provider.id;
  h['x-sluice-model'] = target.model;
  h['x-sluice-attempts'] = String(run.attempts);
  h['x-sluice-degraded'] = ctx.meta.degraded ? 'true' : 'false';
  h['x-sluice-route'] = c.route.name;
}

const totalTokens = (u: NormalizedUsage): number => u.promptTokens + u.outputTokens;

export function commitJson(c: CommitInput, result: Extract<AttemptResult, { type: 'json' }>): Outcome {
  recordWinner(c);
  c.ctx.meta.usage = result.usage;
  c.gate.settle(c.ctx.snapshot, c.provider.id, c.estimatedTokens, totalTokens(result.usage));
  return { type: 'json', status: 200, body: result.body };
}

export function commitStream(
  c: CommitInput,
  result: Extract<AttemptResult, { type: 'stream' }>,
  onMidStreamFailure: () => void,
): Outcome {
  recordWinner(c);
  const chunks = committedStream(result, {
    providerId: c.provider.id,
    finish: (end, usage) => {
      c.ctx.meta.usage = usage;
      c.gate.settle(c.ctx.snapshot, c.provider.id, c.estimatedTokens, totalTokens(usage));
      if (end === 'failed') {
        upstreamErrorsTotal.inc({ provider: c.provider.id, kind: 'mid_stream' });
        onMidStreamFailure();
      }
    },
  });
  return { type: 'stream', chunks };
}
