/** The Anthropic Messages dialect (POST /v1/messages), translated to and from the internal OpenAI format. */
import type { ChatResponse } from '../../common/openai-types.js';
import { anthropicToChatRequest } from './anthropic-request.js';
import { anthropicErrorBody, chatResponseToMessage } from './anthropic-response.js';
import { AnthropicStreamEncoder, anthropicErrorFrame } from './anthropic-stream.js';
import type { Ingress } from './types.js';

const isChatCompletion = (body: unknown): body is ChatResponse =>
  typeof body === 'object' && body !== null && (body as ChatResponse).object === 'chat.completion';

export const anthropicIngress: Ingress = {
  endpoint: 'messages',
  parse: anthropicToChatRequest,
  // Non-completion bodies (a 202 queue ticket) pass through unchanged.
  renderJson: (_status, body, ctx) =>
    isChatCompletion(body) ? chatResponseToMessage(body, ctx.body.model, ctx.id) : body,
  streamEncoder: (ctx) => new AnthropicStreamEncoder(ctx),
  errorFrame: anthropicErrorFrame,
  errorBody: anthropicErrorBody,
};
