/** Tokens one request is expected to use, for the provider-account gate and the queue's ordering. */
import type { ChatRequest } from '../../common/openai-types.js';
import type { RouteRecord } from '../../common/snapshot.js';
import { countBodyTokens } from '../limits/input-tokens.js';
import type { RequestContext } from '../pipeline/types.js';

/** Prompt tokens: the gateway's earlier count when a stage made one, else counted here. */
export function estimatePromptTokens(ctx: RequestContext): number {
  if (ctx.meta.inputTokensEstimate !== null) return ctx.meta.inputTokensEstimate;
  return countBodyTokens(ctx.endpoint, ctx.body, ctx.body.model);
}

/** Prompt tokens plus the output the request may produce (max tokens, else the route default). */
export function estimateTotalTokens(ctx: RequestContext, route: RouteRecord): number {
  const prompt = estimatePromptTokens(ctx);
  if (ctx.endpoint === 'embeddings') return prompt;
  const body = ctx.body as ChatRequest;
  const maxOut = body.max_completion_tokens ?? body.max_tokens ?? route.defaultMaxOutputTokens;
  return prompt + Math.max(0, maxOut) * Math.max(1, body.n ?? 1);
}
