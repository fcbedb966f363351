/**
 * The Gemini adapter (Gemini API, generativelanguage.googleapis.com): generateContent,
 * streamGenerateContent?alt=sse and batchEmbedContents under `${baseUrl}/models/{model}:…`.
 */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import { buildHeaders } from '../shared/headers.js';
import { openStream, postJson } from '../shared/http.js';
import { SseUpstreamStream } from '../shared/stream.js';
import { UsageTracker } from '../shared/usage.js';
import type { CallOptions, ChatResult, ProviderAdapter, UpstreamTarget } from '../types.js';
import { fromGeminiEmbeddings, toGeminiEmbeddingsRequest } from './embeddings.js';
import { modelPath, toGeminiRequest } from './request.js';
import { fromGeminiResponse } from './response.js';
import { GeminiStreamTranslator } from './stream.js';

export const geminiAdapter: ProviderAdapter = {
  async chat(req: ChatRequest, target: UpstreamTarget, opts: CallOptions): Promise<ChatResult> {
    const { provider, model } = target;
    const stream = req.stream === true;
    const body = JSON.stringify(toGeminiRequest(req));
    const headers = buildHeaders(provider, opts.requestId, stream);
    if (!stream) {
      const path = modelPath(provider.baseUrl, model, 'generateContent');
      const { json } = await postJson({ provider, path, headers, body, opts });
      return { type: 'json', ...fromGeminiResponse(json, model) };
    }
    const path = `${modelPath(provider.baseUrl, model, 'streamGenerateContent')}?alt=sse`;
    const open = await openStream({ provider, path, headers, body, opts });
    const tracker = new UsageTracker(req, model);
    const translator = new GeminiStreamTranslator(req, model, tracker);
    return { type: 'stream', stream: new SseUpstreamStream(open, translator, tracker) };
  },

  async embeddings(req: EmbeddingsRequest, target: UpstreamTarget, opts: CallOptions) {
    const { provider, model } = target;
    const { json } = await postJson({
      provider,
      path: modelPath(provider.baseUrl, model, 'batchEmbedContents'),
      headers: buildHeaders(provider, opts.requestId, false),
      body: JSON.stringify(toGeminiEmbeddingsRequest(req, model)),
      opts,
    });
    return fromGeminiEmbeddings(json, req, model);
  },
};
