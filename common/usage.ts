/**
 * Token usage normalized across providers. Provider adapters fill it from their usage fields
 * (OpenAI prompt_tokens_details.cached_tokens; Anthropic input_tokens + cache_read_input_tokens +
 * cache_creation_input_tokens; Gemini promptTokenCount / cachedContentTokenCount).
 */
export interface NormalizedUsage {
  /** All input tokens, including the cached and cache-write ones below. */
  promptTokens: number;
  /** Of promptTokens: read from the provider's prompt cache (discounted rate). */
  cachedInputTokens: number;
  /** Of promptTokens: written to the provider's prompt cache (cache-write rate). */
  cacheWriteTokens: number;
  /** Completion tokens, including reasoning tokens. */
  outputTokens: number;
  /** "provider" when the upstream reported it; "counted" when the gateway counted the text itself. */
  source: 'provider' | 'counted';
}

export const ZERO_USAGE: NormalizedUsage = Object.freeze({
  promptTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  source: 'counted',
}) as NormalizedUsage;
