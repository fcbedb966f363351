/**
 * What a request reserves before the upstream call:
 *   tokens = ceil((input + maxOutput) × (100 + buffer%) / 100)
 *   micros = max over every target the route (and its fallbacks) might use of
 *            ceil((bufferedInput × max(inputPico, cacheWritePico) + bufferedOutput × outputPico) / 1e6)
 * input is counted with each target model's tokenizer (common/tokens.ts); maxOutput is
 * max_completion_tokens ?? max_tokens ?? route default ?? gateway default, times `n`.
 * A target without an effective price contributes 0 (its cost cannot be known; accounting flags it).
 */
import type { ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { RouteRecord, RouteTarget, Snapshot } from '../../common/snapshot.js';
import { countChatTokens, countTextTokens, tokenizerFor } from '../../common/tokens.js';
import { priceAt } from '../cost/price.js';
import type { RequestContext } from '../pipeline/types.js';

export interface ReservationEstimate {
  /** Input tokens (largest count over the candidate targets' tokenizers, unbuffered). */
  inputTokens: number;
  maxOutputTokens: number;
  /** Tokens reserved against TPM/TPD (buffered). */
  tokens: number;
  /** Worst-case micro-dollars reserved against budgets (buffered, most expensive target). */
  micros: number;
}

/** Every target a request on `route` may end up at: its targets, fallbacks (recursively), context fallback. */
export function candidateTargets(snapshot: Snapshot, route: RouteRecord): RouteTarget[] {
  const seen = new Set<string>();
  const out: RouteTarget[] = [];
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const r = snapshot.routes[name];
    if (!r) return;
    out.push(...r.targets);
    for (const f of r.fallback) visit(f);
    if (r.contextWindowFallback) visit(r.contextWindowFallback);
  };
  visit(route.name);
  return out;
}

function countInput(ctx: RequestContext, model: string): number {
  if (ctx.endpoint === 'embeddings') {
    const input = (ctx.body as EmbeddingsRequest).input;
    if (typeof input === 'string') return countTextTokens(model, input);
    let n = 0;
    for (const item of input) {
      if (typeof item === 'string') n += countTextTokens(model, item);
      else if (typeof item === 'number') n += 1;
      else n += item.length;
    }
    return n;
  }
  const body = ctx.body as ChatRequest;
  return countChatTokens(model, body.messages ?? [], body.tools);
}

function maxOutput(ctx: RequestContext, route: RouteRecord): number {
  if (ctx.endpoint === 'embeddings') return 0;
  const body = ctx.body as ChatRequest;
  const requested = body.max_completion_tokens ?? body.max_tokens;
  const perChoice =
    typeof requested === 'number' && requested >= 0
      ? requested
      : route.defaultMaxOutputTokens || ctx.snapshot.gateway.defaultMaxOutputTokens;
  const n = typeof body.n === 'number' && body.n > 1 ? Math.floor(body.n) : 1;
  return perChoice * n;
}

const buffered = (tokens: number, percent: number): number => Math.ceil((tokens * (100 + percent)) / 100);

export function estimateReservation(ctx: RequestContext, route: RouteRecord): ReservationEstimate {
  const targets = candidateTargets(ctx.snapshot, route);
  const buffer = Math.max(0, ctx.snapshot.gateway.reservationBufferPercent);
  const out = maxOutput(ctx, route);
  const outBuf = buffered(out, buffer);
  // One count per distinct tokenizer, not per target (targets usually share one).
  const counts = new Map<string, number>();
  let inputTokens = 0;
  let micros = 0;
  const countFor = (model: string): number => {
    const info = tokenizerFor(model);
    const k = `${info.encoding}|${info.factor}`;
    let n = counts.get(k);
    if (n === undefined) {
      n = countInput(ctx, model);
      counts.set(k, n);
    }
    return n;
  };
  for (const t of targets) {
    const input = countFor(t.model);
    if (input > inputTokens) inputTokens = input;
    const price = priceAt(ctx.snapshot, t.provider, t.model, ctx.receivedAt);
    if (!price) continue;
    const pico = buffered(input, buffer) * Math.max(price.inputPico, price.cacheWritePico) + outBuf * price.outputPico;
    const m = Math.ceil(pico / 1_000_000);
    if (m > micros) micros = m;
  }
  if (targets.length === 0) inputTokens = countFor(ctx.body.model);
  return { inputTokens, maxOutputTokens: out, tokens: buffered(inputTokens + out, buffer), micros };
}
