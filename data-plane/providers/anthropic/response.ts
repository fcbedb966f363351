/**
 * Anthropic Message → OpenAI ChatResponse. Text blocks → content, tool_use → tool_calls (the
 * json_schema stand-in tool → content), thinking → reasoning_content. Usage: prompt tokens are
 * input_tokens + cache_read_input_tokens + cache_creation_input_tokens (Anthropic reports the
 * three separately; OpenAI's prompt_tokens includes cached ones).
 */
import type { ChatResponse, FinishReason, ToolCall } from '../../../common/openai-types.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { nowSeconds } from '../shared/content.js';
import { num, toOpenAIUsage } from '../shared/usage.js';
import { ProviderError } from '../types.js';

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

interface AnthropicContentBlock {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

interface AnthropicMessageResponse {
  id: string;
  type: 'message';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: string | null;
  usage: AnthropicUsage;
}

export function normalizeAnthropicUsage(u: AnthropicUsage): NormalizedUsage {
  const cacheRead = num(u.cache_read_input_tokens);
  const cacheWrite = num(u.cache_creation_input_tokens);
  return {
    promptTokens: num(u.input_tokens) + cacheRead + cacheWrite,
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: num(u.output_tokens),
    source: 'provider',
  };
}

export function mapStopReason(reason: string | null | undefined, jsonTool: boolean): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return jsonTool ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case null:
    case undefined:
      return null;
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

export function fromAnthropicMessage(
  json: unknown,
  jsonTool: string | null,
): { response: ChatResponse; usage: NormalizedUsage } {
  const msg = json as AnthropicMessageResponse;
  if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
    throw new ProviderError('server_error', 'anthropic upstream returned a malformed message', 200);
  }
  let text = '';
  let reasoning = '';
  let usedJsonTool = false;
  const toolCalls: ToolCall[] = [];
  for (const b of msg.content) {
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'thinking' && typeof b.thinking === 'string') reasoning += b.thinking;
    else if (b.type === 'tool_use') {
      if (jsonTool && b.name === jsonTool) {
        text += JSON.stringify(b.input ?? {});
        usedJsonTool = true;
      } else {
        toolCalls.push({
          id: b.id ?? `toolu_${toolCalls.length}`,
          type: 'function',
          function: { name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}) },
        });
      }
    }
  }
  const usage = normalizeAnthropicUsage(msg.usage ?? {});
  const message: ChatResponse['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;
  const response: ChatResponse = {
    id: msg.id,
    object: 'chat.completion',
    created: nowSeconds(),
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: mapStopReason(msg.stop_reason, usedJsonTool), logprobs: null }],
    usage: toOpenAIUsage(usage),
  };
  return { response, usage };
}
