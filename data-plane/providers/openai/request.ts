/**
 * OpenAI is the internal format, so the request passes through unchanged except: `model` becomes
 * the upstream model, and a stream always asks for `stream_options.include_usage` so the gateway
 * gets the provider's own usage (the usage-only chunk is removed again unless the client asked).
 */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';

export function toOpenAIChatBody(req: ChatRequest, model: string): ChatRequest {
  const body: ChatRequest = { ...req, model };
  if (req.stream) body.stream_options = { ...(req.stream_options ?? {}), include_usage: true };
  else if ('stream_options' in body) delete body.stream_options;
  return body;
}

export function toOpenAIEmbeddingsBody(req: EmbeddingsRequest, model: string): EmbeddingsRequest {
  return { ...req, model };
}

/** Did the client itself ask for the final usage chunk? */
export function clientWantsUsage(req: ChatRequest): boolean {
  return req.stream_options?.include_usage === true;
}
