/**
 * OpenAI-compatible servers (vLLM, Ollama, llama.cpp, LM Studio…) take the OpenAI body with two
 * adjustments for older servers: `max_completion_tokens` is sent as `max_tokens` (several servers
 * ignore the newer name), and OpenAI-only fields they reject are dropped.
 */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import { toOpenAIChatBody, toOpenAIEmbeddingsBody } from '../openai/request.js';

export function toCompatibleChatBody(req: ChatRequest, model: string): ChatRequest {
  const body = toOpenAIChatBody(req, model);
  if (typeof body.max_completion_tokens === 'number') {
    body.max_tokens = body.max_completion_tokens;
  }
  delete body.max_completion_tokens;
  // OpenAI platform features with no meaning on a local server.
  delete body.store;
  delete body.metadata;
  delete body.service_tier;
  return body;
}

export function toCompatibleEmbeddingsBody(req: EmbeddingsRequest, model: string): EmbeddingsRequest {
  return toOpenAIEmbeddingsBody(req, model);
}
