/**
 * The cache stage (after guardrails, so it sees redacted prompts; before limits, so hits cost
 * nothing against budgets). Exact tier first, then the semantic tier; a hit returns without
 * calling next(); a miss calls next() and tees the answer into the cache — JSON at once, streams
 * from the iterator wrapper once the stream completed cleanly. See docs/cache.md.
 */
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingsResponse } from '../../common/openai-types.js';
import type { CachePolicyRecord } from '../../common/snapshot.js';
import { cacheAdminRoutes } from '../cache/admin.js';
import { isCacheableResponse, StreamAssembler } from '../cache/assemble.js';
import { keyOptedOut, requestControls } from '../cache/controls.js';
import { type CacheKind, type ExactKey, exactKey } from '../cache/exact/key.js';
import { planFill, usageBody } from '../cache/fill.js';
import { cacheFills, cacheLookups } from '../cache/metrics.js';
import { cacheNamespace } from '../cache/namespace.js';
import { type CacheOptions, cacheOptions } from '../cache/options.js';
import type { SemanticPending } from '../cache/semantic/semantic-tier.js';
import { serveHit } from '../cache/serve-hit.js';
import { CacheService } from '../cache/service.js';
import { fillDeferredInputEstimate } from '../limits/input-tokens.js';
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';
import type { Outcome, RequestContext } from '../pipeline/types.js';

export interface CacheStage extends BuiltStage {
  readonly service: CacheService;
}

export async function createCacheStage(deps: StageDeps, over: Partial<CacheOptions> = {}): Promise<CacheStage> {
  const options = cacheOptions(deps.config, over);
  const service = await CacheService.create(deps.config, options, deps.logger, () => deps.snapshots.current());
  const current = deps.snapshots.current();
  if (current) service.prewarm(current);
  deps.snapshots.onSwap((s) => service.prewarm(s));
  const now = options.now;

  const tierCount = (ctx: RequestContext, tier: 'hit-exact' | 'hit-semantic' | 'miss' | 'bypass') => {
    cacheLookups.inc({ tier, endpoint: ctx.endpoint });
    const c = service.counters;
    if (tier === 'hit-exact') c.hitExact++;
    else if (tier === 'hit-semantic') c.hitSemantic++;
    else if (tier === 'miss') c.miss++;
    else c.bypass++;
  };

  const fill = (
    ctx: RequestContext,
    policy: CachePolicyRecord,
    key: ExactKey,
    response: ChatResponse | EmbeddingsResponse,
    pending: SemanticPending | null,
    source: 'json' | 'stream',
  ) => {
    const plan = planFill(ctx, policy, key, response, pending?.text ?? null, now());
    if (!plan) return;
    const work = async () => {
      await service.put(plan.entry);
      const semantic = pending !== null && plan.semanticTtlMs > 0;
      if (semantic) await service.semantic.add(pending, plan.entry.id, plan.semanticTtlMs);
      cacheFills.inc({ source, semantic: String(semantic) });
      service.counters.fills++;
    };
    // Off the response path: the client never waits for the cache write.
    work().catch((err: unknown) => service.noteError('fill', err));
  };

  return {
    name: 'cache',
    service,
    adminRoutes: cacheAdminRoutes(service),
    async run(ctx, next): Promise<Outcome> {
      const key = ctx.key;
      const route = ctx.route;
      const policy = key?.cachePolicy ? ctx.snapshot.cachePolicies[key.cachePolicy] : undefined;
      if (!key || !route || !policy || keyOptedOut(key) || (!policy.exact.enabled && !policy.semantic.enabled)) {
        ctx.meta.cacheTier = 'off';
        return next();
      }
      const controls = requestControls(ctx.headers);
      if (!controls.read && !controls.write) {
        ctx.meta.cacheTier = 'bypass';
        ctx.responseHeaders['x-sluice-cache'] = 'bypass';
        tierCount(ctx, 'bypass');
        return next();
      }
      const kind: CacheKind = ctx.endpoint === 'embeddings' ? 'embeddings' : 'chat';
      const namespace = cacheNamespace(policy, key);
      const ek = exactKey(kind, namespace, route.name, ctx.body);

      let pending: SemanticPending | null = null;
      try {
        if (controls.read && policy.exact.enabled) {
          const entry = await service.getExact(ek.id);
          if (entry && entry.kind === kind && entry.namespace === namespace) {
            tierCount(ctx, 'hit-exact');
            void service
              .rememberHit(ctx.id, entry.id, 'hit-exact')
              .catch((e: unknown) => service.noteError('remember', e));
            fillDeferredInputEstimate(ctx);
            return serveHit(ctx, entry, 'hit-exact', null, now());
          }
        }
        // Embeddings requests use the exact tier only: embedding an embeddings request to find a
        // "similar" input would return a vector for different text.
        if (kind === 'chat' && policy.semantic.enabled && controls.semantic) {
          const found = await service.semantic.lookup(
            policy,
            ctx.body as ChatRequest,
            namespace,
            route.name,
            controls.read,
          );
          if (found.type === 'hit') {
            tierCount(ctx, 'hit-semantic');
            void service
              .rememberHit(ctx.id, found.entry.id, 'hit-semantic')
              .catch((e: unknown) => service.noteError('remember', e));
            fillDeferredInputEstimate(ctx);
            return serveHit(ctx, found.entry, 'hit-semantic', found.similarity, now());
          }
          pending = found.pending;
        }
      } catch (err) {
        // A cache failure must never fail the request: serve it as a miss.
        service.noteError('lookup', err);
      }

      const tier = controls.read ? 'miss' : 'bypass';
      ctx.meta.cacheTier = tier;
      ctx.responseHeaders['x-sluice-cache'] = tier;
      tierCount(ctx, tier);

      const outcome = await next();
      if (!controls.write) return outcome;
      if (outcome.type === 'json') {
        const body = outcome.body as ChatResponse | EmbeddingsResponse | null;
        if (outcome.status !== 200 || !body || typeof body !== 'object') return outcome;
        const ok =
          kind === 'chat'
            ? (body as ChatResponse).object === 'chat.completion' && isCacheableResponse(body as ChatResponse)
            : (body as EmbeddingsResponse).object === 'list';
        if (ok) fill(ctx, policy, ek, body, pending, 'json');
        return outcome;
      }
      return {
        type: 'stream',
        chunks: teeStream(ctx, outcome.chunks, (resp) => fill(ctx, policy, ek, resp, pending, 'stream')),
      };
    },
    close: () => service.close(),
  };
}

/** Passes chunks through; after a clean, complete end, hands the assembled answer to `onComplete`. */
async function* teeStream(
  ctx: RequestContext,
  chunks: AsyncIterable<ChatChunk>,
  onComplete: (response: ChatResponse) => void,
): AsyncGenerator<ChatChunk> {
  const assembler = new StreamAssembler();
  let clean = false;
  try {
    for await (const chunk of chunks) {
      assembler.push(chunk);
      yield chunk;
    }
    clean = true;
  } finally {
    // Only a stream that ended by itself (no error, no client abort) and finished every choice.
    if (clean && !ctx.signal.aborted && assembler.complete()) {
      onComplete(assembler.response(ctx.meta.usage ? usageBody(ctx.meta.usage) : null));
    }
  }
}
