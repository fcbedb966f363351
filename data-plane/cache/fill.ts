import type { ChatResponse, EmbeddingsResponse, Usage } from '../../common/openai-types.js';
import type { CachePolicyRecord } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';
import type { RequestContext } from '../pipeline/types.js';
import type { CacheEntry } from './entry.js';
import type { ExactKey } from './exact/key.js';
import { classifyContent, ttlForContent } from './semantic/content-type.js';

/** The provider's usage object from normalized usage (for streamed answers that carried none). */
export function usageBody(u: NormalizedUsage): Usage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.promptTokens + u.outputTokens,
    ...(u.cachedInputTokens > 0 ? { prompt_tokens_details: { cached_tokens: u.cachedInputTokens } } : {}),
  };
}

/** Normalized usage from a response's usage object (when no stage set ctx.meta.usage). */
export function normalizedFrom(u: Usage | undefined): NormalizedUsage {
  return {
    promptTokens: u?.prompt_tokens ?? 0,
    cachedInputTokens: u?.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    outputTokens: u?.completion_tokens ?? 0,
    source: u ? 'provider' : 'counted',
  };
}

export interface FillPlan {
  entry: CacheEntry;
  /** TTL of the semantic index item (0: do not index). */
  semanticTtlMs: number;
}

/** The entry to store for an answer, with its exact and semantic lifetimes from the policy. */
export function planFill(
  ctx: RequestContext,
  policy: CachePolicyRecord,
  key: ExactKey,
  response: ChatResponse | EmbeddingsResponse,
  semanticPrompt: string | null,
  now: number,
): FillPlan | null {
  const usage =
    ctx.meta.usage ?? normalizedFrom('choices' in response ? response.usage : (response.usage as Usage | undefined));
  const exactTtl = policy.exact.enabled ? policy.exact.ttlMs : 0;
  let semanticTtlMs = 0;
  if (semanticPrompt !== null && 'choices' in response) {
    const answer = response.choices
      .map((c) => (typeof c.message.content === 'string' ? c.message.content : ''))
      .join('\n');
    semanticTtlMs = ttlForContent(policy.semantic.ttlMsByContentType, classifyContent(semanticPrompt, answer));
  }
  const storeTtl = Math.max(exactTtl, semanticTtlMs);
  if (storeTtl <= 0) return null;
  const stored = 'choices' in response && !response.usage ? { ...response, usage: usageBody(usage) } : response;
  return {
    entry: {
      v: 1,
      id: key.id,
      kind: 'choices' in response ? 'chat' : 'embeddings',
      namespace: key.namespace,
      route: key.route,
      response: stored,
      usage,
      provider: ctx.meta.provider,
      model: ctx.meta.upstreamModel,
      createdAt: now,
      exactUntil: exactTtl > 0 ? now + exactTtl : null,
      expiresAt: now + storeTtl,
    },
    semanticTtlMs,
  };
}
