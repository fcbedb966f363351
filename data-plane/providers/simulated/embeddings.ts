/**
 * Deterministic simulated embeddings: feature hashing of lower-cased words into `dimensions`
 * (default 256) signed buckets, L2-normalised — texts sharing words get similar vectors, so the
 * semantic cache behaves plausibly in demos without any model weights.
 */
import { createHash } from 'node:crypto';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../../common/openai-types.js';
import { countTextTokens } from '../../../common/tokens.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { badRequest } from '../shared/content.js';
import { encodeEmbedding } from '../shared/embedding-encoding.js';

export const DEFAULT_SIM_DIMENSIONS = 256;

export function simulatedVector(text: string, dims: number, seed: number): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) {
    const h = createHash('sha1').update(`${seed}:${w}`).digest();
    const bucket = h.readUInt32BE(0) % dims;
    v[bucket] += h[4] & 1 ? 1 : -1;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  if (norm === 0) {
    v[0] = 1;
    return v;
  }
  return v.map((x) => x / norm);
}

export function simulatedEmbeddings(
  req: EmbeddingsRequest,
  model: string,
  seed: number,
): { response: EmbeddingsResponse; usage: NormalizedUsage } {
  const inputs = typeof req.input === 'string' ? [req.input] : req.input;
  if (!inputs.every((x) => typeof x === 'string')) throw badRequest('simulated embeddings take text input only');
  const dims = typeof req.dimensions === 'number' && req.dimensions > 0 ? req.dimensions : DEFAULT_SIM_DIMENSIONS;
  let prompt = 0;
  const data = (inputs as string[]).map((text, index) => {
    prompt += countTextTokens(model, text);
    return {
      object: 'embedding' as const,
      index,
      embedding: encodeEmbedding(simulatedVector(text, dims, seed), req.encoding_format),
    };
  });
  return {
    response: { object: 'list', data, model, usage: { prompt_tokens: prompt, total_tokens: prompt } },
    usage: { promptTokens: prompt, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, source: 'provider' },
  };
}
