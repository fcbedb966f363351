/** The Anthropic adapter: Messages API at `${baseUrl}/v1/messages`, translated to/from OpenAI. */
import type { ChatRequest, EmbeddingsRequest } from '../../../common/openai-types.js';
import { buildHeaders } from '../shared/headers.js';
import { openStream, postJson } from '../shared/http.js';
import { SseUpstreamStream } from '../shared/stream.js';
import { UsageTracker } from '../shared/usage.js';
import {
  type CallOptions,
  type ChatResult,
  type ProviderAdapter,
  ProviderError,
  type UpstreamTarget,
} from '../types.js';
import { messagesPath, toAnthropicRequest } from './request.js';
import { fromAnthropicMessage } from './response.js';
import { AnthropicStreamTranslator } from './stream.js';

export const anthropicAdapter: ProviderAdapter = {
  async chat(req: ChatRequest, target: UpstreamTarget, opts: CallOptions): Promise<ChatResult> {
    const { provider, model } = target;
    const stream = req.stream === true;
    const { body, jsonTool } = toAnthropicRequest(req, model);
    const call = {
      provider,
      path: messagesPath(provider.baseUrl),
      headers: buildHeaders(provider, opts.requestId, stream),
      body: JSON.stringify(body),
      opts,
    };
    if (!stream) {
      const { json } = await postJson(call);
      return { type: 'json', ...fromAnthropicMessage(json, jsonTool) };
    }
    const open = await openStream(call);
    const tracker = new UsageTracker(req, model);
    const translator = new AnthropicStreamTranslator(req, model, jsonTool, tracker);
    return { type: 'stream', stream: new SseUpstreamStream(open, translator, tracker) };
  },

  async embeddings(_req: EmbeddingsRequest, _target: UpstreamTarget, _opts: CallOptions) {
    throw new ProviderError(
      'bad_request',
      'anthropic has no embeddings API: route embeddings to an openai, gemini or openai-compatible provider',
      null,
    );
  },
};
