/**
 * What a request reserves before the upstream call:
 *   tokens = ceil((input + maxOutput) × (100 + buffer%) / 100)
 *   micros = max over every target the route (and its fallbacks) might use of
 *            ceil((bufferedInput × max(inputPico, cacheWritePico) + bufferedOutput × outputPico) / 1e6)
 * input is counted with each target model's tokenizer (common/tokens.ts); maxOutput is
 * max_completion_tokens ?? max_tokens ?? route default ?? gateway default, times `n`.
 * A target without an effective price contributes 0 (its cost cannot be known; accounting flags it).
 */
import type { ChatRequest } from '../../common/openai-types.js';
import type { PriceEntry, RouteRecord, RouteTarget, Snapshot } from '../../common/snapshot.js';
import { effectiveEntry } from '../cost/price.js';
import type { RequestContext } from '../pipeline/types.js';
import { countBodyTokens, tokenizerKey } from './input-tokens.js';

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

/** A route's candidate targets grouped by tokenizer, with their price lists (per snapshot). */
interface TargetPlan {
  /** One entry per distinct tokenizer, in order of first appearance. */
  groups: { model: string; prices: (readonly PriceEntry[] | undefined)[] }[];
}

const plans = new WeakMap<Snapshot, Map<string, TargetPlan>>();

/** Snapshots are immutable, so a route's candidates and price lists are resolved once per snapshot. */
function targetPlan(snapshot: Snapshot, route: RouteRecord): TargetPlan {
  let byRoute = plans.get(snapshot);
  if (!byRoute) {
    byRoute = new Map();
    plans.set(snapshot, byRoute);
  }
  let plan = byRoute.get(route.name);
  if (plan) return plan;
  const groups = new Map<string, TargetPlan['groups'][number]>();
  for (const t of candidateTargets(snapshot, route)) {
    const k = tokenizerKey(t.model);
    let g = groups.get(k);
    if (!g) {
      g = { model: t.model, prices: [] };
      groups.set(k, g);
    }
    g.prices.push(snapshot.pricing[`${t.provider}/${t.model}`]);
  }
  plan = { groups: [...groups.values()] };
  byRoute.set(route.name, plan);
  return plan;
}

export function estimateReservation(ctx: RequestContext, route: RouteRecord): ReservationEstimate {
  const plan = targetPlan(ctx.snapshot, route);
  const buffer = Math.max(0, ctx.snapshot.gateway.reservationBufferPercent);
  const out = maxOutput(ctx, route);
  const outBuf = buffered(out, buffer);
  // One count per distinct tokenizer, not per target (targets usually share one).
  let inputTokens = 0;
  let micros = 0;
  for (const g of plan.groups) {
    const input = countBodyTokens(ctx.endpoint, ctx.body, g.model);
    if (input > inputTokens) inputTokens = input;
    const inBuf = buffered(input, buffer);
    for (const entries of g.prices) {
      const price = effectiveEntry(entries, ctx.receivedAt);
      if (!price) continue;
      const pico = inBuf * Math.max(price.inputPico, price.cacheWritePico) + outBuf * price.outputPico;
      const m = Math.ceil(pico / 1_000_000);
      if (m > micros) micros = m;
    }
  }
  if (plan.groups.length === 0) inputTokens = countBodyTokens(ctx.endpoint, ctx.body, ctx.body.model);
  return { inputTokens, maxOutputTokens: out, tokens: buffered(inputTokens + out, buffer), micros };
}
