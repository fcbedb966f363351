/** The OpenAI adapter: pass-through over a keep-alive pool to `${baseUrl}/chat/completions`. */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import { buildHeaders } from '../shared/headers.js';
import { openStream, postJson } from '../shared/http.js';
import { SseUpstreamStream } from '../shared/stream.js';
import { UsageTracker } from '../shared/usage.js';
import type { CallOptions, ChatResult, ProviderAdapter, UpstreamTarget } from '../types.js';
import { toOpenAIChatBody, toOpenAIEmbeddingsBody } from './request.js';
import { fromOpenAIChat, fromOpenAIEmbeddings } from './response.js';
import { OpenAIStreamTranslator } from './stream.js';

export interface OpenAIFlavor {
  /** Builds the upstream body (OpenAI-compatible servers adjust a few fields). */
  chatBody(req: ChatRequest, model: string): ChatRequest;
}

export function createOpenAIFormatAdapter(flavor: OpenAIFlavor): ProviderAdapter {
  return {
    async chat(req: ChatRequest, target: UpstreamTarget, opts: CallOptions): Promise<ChatResult> {
      const { provider, model } = target;
      const stream = req.stream === true;
      const call = {
        provider,
        path: '/chat/completions',
        headers: buildHeaders(provider, opts.requestId, stream),
        body: JSON.stringify(flavor.chatBody(req, model)),
        opts,
      };
      if (!stream) {
        const { json } = await postJson(call);
        return { type: 'json', ...fromOpenAIChat(provider.type, json, req, model) };
      }
      const open = await openStream(call);
      const tracker = new UsageTracker(req, model);
      const translator = new OpenAIStreamTranslator(provider.type, req, tracker);
      return { type: 'stream', stream: new SseUpstreamStream(open, translator, tracker) };
    },

    async embeddings(req: EmbeddingsRequest, target: UpstreamTarget, opts: CallOptions) {
      const { provider, model } = target;
      const { json } = await postJson({
        provider,
        path: '/embeddings',
        headers: buildHeaders(provider, opts.requestId, false),
        body: JSON.stringify(toOpenAIEmbeddingsBody(req, model)),
        opts,
      });
      return fromOpenAIEmbeddings(provider.type, json, req, model);
    },
  };
}

export const openaiAdapter: ProviderAdapter = createOpenAIFormatAdapter({ chatBody: toOpenAIChatBody });
