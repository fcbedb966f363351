/** Internal OpenAI answers and errors → Anthropic Messages shapes. */
import type { ChatResponse, FinishReason, Usage } from '../../common/openai-types.js';
import type { GatewayError } from '../errors.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export function stopReason(finish: FinishReason | undefined): AnthropicStopReason | null {
  switch (finish) {
    case 'stop':
      return 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return null;
  }
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
}

/** Anthropic counts cached input separately from input_tokens; OpenAI's prompt_tokens includes it. */
export function anthropicUsage(u: Usage | null | undefined): AnthropicUsage {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  const out: AnthropicUsage = { input_tokens: u.prompt_tokens - cached, output_tokens: u.completion_tokens };
  if (cached > 0) out.cache_read_input_tokens = cached;
  return out;
}

export function parseToolInput(args: string): unknown {
  if (!args) return {};
  try {
    return JSON.parse(args);
  } catch {
    // A model produced invalid JSON arguments: hand them over rather than drop the call.
    return { _raw_arguments: args };
  }
}

export function messageId(openAiId: string | undefined, requestId: string): string {
  const base = openAiId && openAiId.length > 0 ? openAiId : requestId;
  return base.startsWith('msg_') ? base : `msg_${base.replace(/^chatcmpl-/, '')}`;
}

export function chatResponseToMessage(resp: ChatResponse, requestedModel: string, requestId: string): unknown {
  const choice = resp.choices?.[0];
  const content: unknown[] = [];
  const msg = choice?.message;
  const text =
    typeof msg?.content === 'string'
      ? msg.content
      : Array.isArray(msg?.content)
        ? msg.content.map((p) => (p.type === 'text' ? String((p as { text: string }).text) : '')).join('')
        : '';
  if (text) content.push({ type: 'text', text });
  for (const call of msg?.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseToolInput(call.function.arguments),
    });
  }
  return {
    id: messageId(resp.id, requestId),
    type: 'message',
    role: 'assistant',
    model: requestedModel,
    content,
    stop_reason: stopReason(choice?.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(resp.usage),
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function anthropicErrorBody(err: GatewayError): unknown {
  return { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } };
}
