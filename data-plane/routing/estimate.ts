/** Tokens one request is expected to use, for the provider-account gate and the queue's ordering. */
import type { ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import type { RouteRecord } from '../../common/snapshot.js';
import { countChatTokens, countTextTokens } from '../../common/tokens.js';
import type { RequestContext } from '../pipeline/types.js';

/** Prompt tokens: the gateway's earlier count when a stage made one, else counted here. */
export function estimatePromptTokens(ctx: RequestContext): number {
  if (ctx.meta.inputTokensEstimate !== null) return ctx.meta.inputTokensEstimate;
  if (ctx.endpoint === 'embeddings') return embeddingInputTokens(ctx.body as EmbeddingsRequest);
  const body = ctx.body as ChatRequest;
  return countChatTokens(body.model, body.messages ?? [], body.tools);
}

/** Prompt tokens plus the output the request may produce (max tokens, else the route default). */
export function estimateTotalTokens(ctx: RequestContext, route: RouteRecord): number {
  const prompt = estimatePromptTokens(ctx);
  if (ctx.endpoint === 'embeddings') return prompt;
  const body = ctx.body as ChatRequest;
  const maxOut = body.max_completion_tokens ?? body.max_tokens ?? route.defaultMaxOutputTokens;
  return prompt + Math.max(0, maxOut) * Math.max(1, body.n ?? 1);
}

function embeddingInputTokens(body: EmbeddingsRequest): number {
  const input = body.input;
  if (typeof input === 'string') return countTextTokens(body.model, input);
  let n = 0;
  for (const item of input) {
    if (typeof item === 'string') n += countTextTokens(body.model, item);
    else if (typeof item === 'number') n += 1;
    else n += item.length;
  }
  return n;
}
