/**
 * Prompt tokens of a request body for one model's tokenizer, counted once per body and tokenizer.
 * Guardrails (maxInputTokens), limits (reservation) and the router (context-window fit) all need
 * the count; when their tokenizers coincide the second and third ask are a lookup. Keyed by the
 * body object: guardrails that redact replace ctx.body with a copy, so a changed prompt is a
 * different key (bodies are never edited in place on the request path).
 */
import type { ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import { countChatTokens, countTextTokens, tokenizerFor } from '../../common/tokens.js';
import type { Endpoint, RequestContext } from '../pipeline/types.js';

const memo = new WeakMap<object, Map<string, number>>();

/** Memo key of a model's tokenizer: models sharing an encoding and factor count alike. */
export function tokenizerKey(model: string): string {
  const info = tokenizerFor(model);
  return info.factor === 1 ? info.encoding : `${info.encoding}*${info.factor}`;
}

export function countBodyTokens(endpoint: Endpoint, body: ChatRequest | EmbeddingsRequest, model: string): number {
  const key = tokenizerKey(model);
  let counts = memo.get(body);
  const known = counts?.get(key);
  if (known !== undefined) return known;
  const n =
    endpoint === 'embeddings'
      ? embeddingTokens(body as EmbeddingsRequest, model)
      : chatTokens(body as ChatRequest, model);
  if (!counts) {
    counts = new Map();
    memo.set(body, counts);
  }
  counts.set(key, n);
  return n;
}

function chatTokens(body: ChatRequest, model: string): number {
  return countChatTokens(model, body.messages ?? [], body.tools);
}

function embeddingTokens(body: EmbeddingsRequest, model: string): number {
  const input = body.input;
  if (typeof input === 'string') return countTextTokens(model, input);
  let n = 0;
  for (const item of input) {
    if (typeof item === 'string') n += countTextTokens(model, item);
    else if (typeof item === 'number') n += 1;
    else n += item.length;
  }
  return n;
}

/**
 * Guardrails that found a prompt certainly under maxInputTokens (common/tokens.ts
 * chatTokensUpperBound) skip the exact count and defer the estimate it used to leave in
 * ctx.meta.inputTokensEstimate. The limits stage always sets its own; a request answered before
 * it (a cache hit) fills the deferred one here, so the meta reads exactly as before.
 */
// A symbol-keyed mark on the context (a WeakSet insert per request costs more, and its entries
// are ephemerons the GC must trace); the WeakSet only serves contexts that cannot take a property.
const DEFERRED = Symbol('sluice.deferredInputEstimate');
const deferred = new WeakSet<RequestContext>();
type Marked = RequestContext & { [DEFERRED]?: true };

export function deferInputEstimate(ctx: RequestContext): void {
  if (Object.isExtensible(ctx)) (ctx as Marked)[DEFERRED] = true;
  else deferred.add(ctx);
}

export function fillDeferredInputEstimate(ctx: RequestContext): void {
  if (ctx.meta.inputTokensEstimate !== null) return;
  if ((ctx as Marked)[DEFERRED] !== true && !deferred.has(ctx)) return;
  ctx.meta.inputTokensEstimate = countBodyTokens(ctx.endpoint, ctx.body, ctx.body.model);
}
