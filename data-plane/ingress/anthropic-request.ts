/**
 * Anthropic Messages request → internal OpenAI ChatRequest.
 * system → a leading system message; text/image blocks → content parts; assistant tool_use blocks
 * → tool_calls; user tool_result blocks → role "tool" messages (placed before the user's other
 * content, as OpenAI requires tool answers right after the assistant turn); tools/tool_choice,
 * stop_sequences, temperature/top_p, metadata.user_id → their OpenAI equivalents.
 */
import type { ChatMessage, ChatRequest, ContentPart, ToolCall, ToolDefinition } from '../../common/openai-types.js';
import { badRequest } from '../errors.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function anthropicToChatRequest(json: unknown): { body: ChatRequest; stream: boolean } {
  if (!isObject(json)) throw badRequest('The request body must be a JSON object', null, 'invalid_request_body');
  if (typeof json.model !== 'string' || !json.model) throw badRequest('model: Field required', 'model');
  if (!Number.isInteger(json.max_tokens) || (json.max_tokens as number) < 1) {
    throw badRequest('max_tokens: Field required (a positive integer)', 'max_tokens');
  }
  if (!Array.isArray(json.messages) || json.messages.length === 0) {
    throw badRequest('messages: must be a non-empty array', 'messages');
  }
  const messages: ChatMessage[] = [];
  const system = systemText(json.system);
  if (system !== null) messages.push({ role: 'system', content: system });
  json.messages.forEach((m, i) => {
    messages.push(...translateMessage(m, i));
  });

  const stream = json.stream === true;
  const body: ChatRequest = { model: json.model, messages, max_tokens: json.max_tokens as number };
  if (stream) {
    body.stream = true;
    // Anthropic's message_delta carries usage; ask the pipeline for it.
    body.stream_options = { include_usage: true };
  }
  if (typeof json.temperature === 'number') body.temperature = json.temperature;
  if (typeof json.top_p === 'number') body.top_p = json.top_p;
  if (Array.isArray(json.stop_sequences) && json.stop_sequences.length > 0) {
    body.stop = json.stop_sequences.filter((s): s is string => typeof s === 'string');
  }
  if (isObject(json.metadata) && typeof json.metadata.user_id === 'string') body.user = json.metadata.user_id;
  if (Array.isArray(json.tools) && json.tools.length > 0) body.tools = json.tools.map(translateTool);
  if (isObject(json.tool_choice)) Object.assign(body, translateToolChoice(json.tool_choice));
  return { body, stream };
}

function systemText(system: unknown): string | null {
  if (system === undefined || system === null) return null;
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) {
    return system
      .filter((b): b is Json => isObject(b) && b.type === 'text')
      .map((b) => String(b.text ?? ''))
      .join('\n');
  }
  throw badRequest('system: must be a string or an array of text blocks', 'system');
}

function translateMessage(m: unknown, i: number): ChatMessage[] {
  if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) {
    throw badRequest(`messages.${i}.role: must be "user" or "assistant"`, `messages.${i}.role`);
  }
  const role = m.role;
  if (typeof m.content === 'string') return [{ role, content: m.content }];
  if (!Array.isArray(m.content))
    throw badRequest(`messages.${i}.content: must be a string or an array`, `messages.${i}.content`);

  const parts: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  const toolResults: ChatMessage[] = [];
  m.content.forEach((block, j) => {
    const at = `messages.${i}.content.${j}`;
    if (!isObject(block)) throw badRequest(`${at}: must be an object`, at);
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: String(block.text ?? '') });
        break;
      case 'image':
        parts.push(imagePart(block, at));
        break;
      case 'tool_use':
        if (role !== 'assistant') throw badRequest(`${at}: tool_use blocks belong to assistant messages`, at);
        toolCalls.push({
          id: String(block.id),
          type: 'function',
          function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
        });
        break;
      case 'tool_result':
        if (role !== 'user') throw badRequest(`${at}: tool_result blocks belong to user messages`, at);
        toolResults.push({
          role: 'tool',
          tool_call_id: String(block.tool_use_id),
          content: toolResultText(block),
        });
        break;
      case 'thinking':
      case 'redacted_thinking':
        // The internal format has no place for prior reasoning; dropping it is what other providers do.
        break;
      default:
        throw badRequest(`${at}: unsupported content block type '${String(block.type)}'`, `${at}.type`);
    }
  });

  if (role === 'assistant') {
    const text = parts
      .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
      .map((p) => p.text)
      .join('');
    const msg: ChatMessage = { role, content: text || (toolCalls.length > 0 ? null : '') };
    if (toolCalls.length > 0) msg.tool_calls = toolCalls;
    return [msg];
  }
  const out: ChatMessage[] = [...toolResults];
  if (parts.length > 0) out.push({ role, content: parts.every((p) => p.type === 'text') ? joinText(parts) : parts });
  return out;
}

const joinText = (parts: ContentPart[]): string => parts.map((p) => (p as { text: string }).text).join('\n');

function imagePart(block: Json, at: string): ContentPart {
  const src = block.source;
  if (isObject(src) && src.type === 'base64') {
    return { type: 'image_url', image_url: { url: `data:${String(src.media_type)};base64,${String(src.data)}` } };
  }
  if (isObject(src) && src.type === 'url') return { type: 'image_url', image_url: { url: String(src.url) } };
  throw badRequest(`${at}.source: must be a base64 or url image source`, `${at}.source`);
}

function toolResultText(block: Json): string {
  const prefix = block.is_error === true ? 'Error: ' : '';
  if (typeof block.content === 'string') return prefix + block.content;
  if (Array.isArray(block.content)) {
    return (
      prefix +
      block.content
        .filter((b): b is Json => isObject(b) && b.type === 'text')
        .map((b) => String(b.text ?? ''))
        .join('\n')
    );
  }
  return prefix;
}

function translateTool(t: unknown, i: number): ToolDefinition {
  if (!isObject(t) || typeof t.name !== 'string')
    throw badRequest(`tools.${i}.name: Field required`, `tools.${i}.name`);
  const fn: ToolDefinition['function'] = { name: t.name };
  if (typeof t.description === 'string') fn.description = t.description;
  if (isObject(t.input_schema)) fn.parameters = t.input_schema;
  return { type: 'function', function: fn };
}

function translateToolChoice(choice: Json): Partial<ChatRequest> {
  const out: Partial<ChatRequest> = {};
  if (choice.type === 'auto') out.tool_choice = 'auto';
  else if (choice.type === 'any') out.tool_choice = 'required';
  else if (choice.type === 'none') out.tool_choice = 'none';
  else if (choice.type === 'tool' && typeof choice.name === 'string') {
    out.tool_choice = { type: 'function', function: { name: choice.name } };
  }
  if (choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}
