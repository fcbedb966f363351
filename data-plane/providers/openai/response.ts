/** OpenAI-format JSON responses → ChatResponse / EmbeddingsResponse + NormalizedUsage. */
import type {
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  Usage,
} from '../../../common/openai-types.js';
import type { ProviderType } from '../../../common/snapshot.js';
import { countTextTokens } from '../../../common/tokens.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { textOf } from '../shared/content.js';
import { countPromptTokens, fromOpenAIUsage, num, toOpenAIUsage } from '../shared/usage.js';
import { ProviderError } from '../types.js';

function malformed(type: ProviderType, what: string): ProviderError {
  return new ProviderError('server_error', `${type} upstream returned a malformed ${what}`, 200);
}

export function fromOpenAIChat(
  type: ProviderType,
  json: unknown,
  req: ChatRequest,
  model: string,
): { response: ChatResponse; usage: NormalizedUsage } {
  const res = json as ChatResponse;
  if (!res || typeof res !== 'object' || !Array.isArray(res.choices)) throw malformed(type, 'chat completion');
  if (res.usage && typeof res.usage === 'object') return { response: res, usage: fromOpenAIUsage(res.usage) };
  // Some OpenAI-compatible servers omit usage: count it, and tell the client what was counted.
  let out = '';
  for (const c of res.choices) {
    out += textOf(c.message?.content ?? null);
    for (const t of c.message?.tool_calls ?? []) out += t.function.name + t.function.arguments;
  }
  const usage: NormalizedUsage = {
    promptTokens: countPromptTokens(req, model),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: out ? countTextTokens(model, out) : 0,
    source: 'counted',
  };
  res.usage = toOpenAIUsage(usage);
  return { response: res, usage };
}

function countInput(model: string, input: EmbeddingsRequest['input']): number {
  if (typeof input === 'string') return countTextTokens(model, input);
  let n = 0;
  for (const item of input) {
    if (typeof item === 'string') n += countTextTokens(model, item);
    else if (Array.isArray(item)) n += item.length;
    else n += 1; // a single token id
  }
  return n;
}

export function fromOpenAIEmbeddings(
  type: ProviderType,
  json: unknown,
  req: EmbeddingsRequest,
  model: string,
): { response: EmbeddingsResponse; usage: NormalizedUsage } {
  const res = json as EmbeddingsResponse;
  if (!res || typeof res !== 'object' || !Array.isArray(res.data)) throw malformed(type, 'embeddings response');
  const u = res.usage as Partial<Usage> | undefined;
  const prompt = u && typeof u.prompt_tokens === 'number' ? num(u.prompt_tokens) : null;
  const usage: NormalizedUsage = {
    promptTokens: prompt ?? countInput(model, req.input),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    source: prompt === null ? 'counted' : 'provider',
  };
  if (prompt === null) res.usage = { prompt_tokens: usage.promptTokens, total_tokens: usage.promptTokens };
  return { response: res, usage };
}

export { countInput as countEmbeddingInput };
