import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingsResponse } from '../../common/openai-types.js';
import { costPico, priceAt } from '../cost/price.js';
import type { Outcome, RequestContext } from '../pipeline/types.js';
import type { CacheEntry } from './entry.js';
import { asFreshResponse, replayAsChunks } from './replay.js';

/**
 * Turns a cached entry into this request's answer and records what the hit means for accounting:
 * the original usage, provider/model, and the original call's cost (the saving). Budgets are not
 * charged: request-cost.ts prices hits at zero.
 */
export function serveHit(
  ctx: RequestContext,
  entry: CacheEntry,
  tier: 'hit-exact' | 'hit-semantic',
  similarity: number | null,
  now: number,
): Outcome {
  const { meta } = ctx;
  meta.cacheTier = tier;
  meta.cacheSimilarity = similarity;
  meta.usage = { ...entry.usage };
  meta.provider = entry.provider;
  meta.upstreamModel = entry.model;
  meta.firstTokenAt = now;
  const price =
    entry.provider && entry.model ? priceAt(ctx.snapshot, entry.provider, entry.model, entry.createdAt) : null;
  meta.cacheSavedPico = price ? costPico(price, entry.usage) : 0;

  ctx.responseHeaders['x-sluice-cache'] = tier;
  ctx.responseHeaders['x-sluice-cache-entry'] = entry.id;
  if (similarity !== null) ctx.responseHeaders['x-sluice-cache-similarity'] = similarity.toFixed(4);

  if (entry.kind === 'embeddings') {
    return { type: 'json', status: 200, body: entry.response as EmbeddingsResponse };
  }
  const id = `chatcmpl-${ctx.id}`;
  const created = Math.floor(now / 1000);
  const response = entry.response as ChatResponse;
  if (!ctx.stream) return { type: 'json', status: 200, body: asFreshResponse(response, id, created) };
  const includeUsage = (ctx.body as ChatRequest).stream_options?.include_usage === true;
  const chunks = replayAsChunks(response, { id, created, includeUsage });
  return { type: 'stream', chunks: fromArray(chunks) };
}

async function* fromArray(chunks: ChatChunk[]): AsyncGenerator<ChatChunk> {
  for (const c of chunks) yield c;
}
