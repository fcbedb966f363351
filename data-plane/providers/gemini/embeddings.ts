/**
 * OpenAI embeddings ↔ Gemini batchEmbedContents. Gemini reports no token usage for embeddings,
 * so usage is counted by the gateway (source "counted"). Token-id inputs are not supported.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../../common/openai-types.js';
import { countTextTokens } from '../../../common/tokens.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { badRequest } from '../shared/content.js';
import { encodeEmbedding } from '../shared/embedding-encoding.js';
import { ProviderError } from '../types.js';

function inputsOf(req: EmbeddingsRequest): string[] {
  const input = req.input;
  if (typeof input === 'string') return [input];
  if (input.every((x): x is string => typeof x === 'string')) return input as string[];
  throw badRequest('gemini embeddings take text input only (not token ids)');
}

export function toGeminiEmbeddingsRequest(req: EmbeddingsRequest, model: string): Record<string, unknown> {
  const name = model.startsWith('models/') ? model : `models/${model}`;
  return {
    requests: inputsOf(req).map((text) => {
      const r: Record<string, unknown> = { model: name, content: { parts: [{ text }] } };
      if (typeof req.dimensions === 'number') r.outputDimensionality = req.dimensions;
      return r;
    }),
  };
}

export function fromGeminiEmbeddings(
  json: unknown,
  req: EmbeddingsRequest,
  model: string,
): { response: EmbeddingsResponse; usage: NormalizedUsage } {
  const list = (json as { embeddings?: Array<{ values?: number[] }> } | null)?.embeddings;
  if (!Array.isArray(list))
    throw new ProviderError('server_error', 'gemini returned a malformed embeddings response', 200);
  const prompt = inputsOf(req).reduce((n, t) => n + countTextTokens(model, t), 0);
  const response: EmbeddingsResponse = {
    object: 'list',
    data: list.map((e, index) => ({
      object: 'embedding',
      index,
      embedding: encodeEmbedding(e.values ?? [], req.encoding_format),
    })),
    model,
    usage: { prompt_tokens: prompt, total_tokens: prompt },
  };
  return {
    response,
    usage: { promptTokens: prompt, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, source: 'counted' },
  };
}
