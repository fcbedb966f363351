/**
 * OpenAI ChatRequest → Anthropic Messages API request.
 * - system/developer messages → top-level `system` (blocks kept when they carry cache_control);
 * - assistant tool_calls → tool_use blocks; tool messages → tool_result blocks in a user turn;
 *   consecutive same-role turns are merged (Anthropic wants alternating turns);
 * - image_url (data URL → base64 source, http(s) → url source), PDF files → document blocks;
 * - tools/tool_choice/parallel_tool_calls, stop, temperature, top_p, user → metadata.user_id;
 * - max_tokens is required by Anthropic: max_completion_tokens ?? max_tokens ?? 4096;
 * - response_format json_schema → a forced tool whose input is the answer (translated back into
 *   message content); json_object (or json_schema alongside client tools) → a system instruction.
 * Dropped (no Anthropic equivalent): seed, presence/frequency_penalty, logit_bias, logprobs.
 * n > 1 is rejected (bad_request) rather than silently answered once.
 */
import type { ChatMessage, ChatRequest, ContentPart, ToolDefinition } from '../../../common/openai-types.js';
import {
  badRequest,
  maxTokensOf,
  parseDataUrl,
  parseToolArguments,
  partsOf,
  stopList,
  textOf,
} from '../shared/content.js';

export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
export const JSON_TOOL_NAME = 'json_response';

export type AnthropicBlock = Record<string, unknown> & { type: string };
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string | AnthropicBlock[];
  stream?: boolean;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>;
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string; disable_parallel_tool_use?: boolean };
  metadata?: { user_id: string };
  [k: string]: unknown;
}

export interface AnthropicPlan {
  body: AnthropicRequest;
  /** Name of the forced tool standing in for response_format json_schema, or null. */
  jsonTool: string | null;
}

function withCache(block: AnthropicBlock, part: ContentPart): AnthropicBlock {
  const cc = (part as { cache_control?: unknown }).cache_control;
  if (cc !== undefined) block.cache_control = cc;
  return block;
}

function imageBlock(url: string): AnthropicBlock {
  const data = parseDataUrl(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest('image_url must be a base64 data URL or an http(s) URL');
}

function partToBlock(part: ContentPart): AnthropicBlock | null {
  switch (part.type) {
    case 'text': {
      const text = (part as { text?: unknown }).text;
      if (typeof text !== 'string' || text === '') return null;
      return withCache({ type: 'text', text }, part);
    }
    case 'image_url': {
      const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
      if (typeof url !== 'string') throw badRequest('image_url part without a url');
      return withCache(imageBlock(url), part);
    }
    case 'file': {
      const fileData = (part as { file?: { file_data?: unknown } }).file?.file_data;
      const data = typeof fileData === 'string' ? parseDataUrl(fileData) : null;
      if (!data) throw badRequest('file parts need file.file_data as a base64 data URL for anthropic');
      return withCache(
        { type: 'document', source: { type: 'base64', media_type: data.mediaType, data: data.data } },
        part,
      );
    }
    default:
      throw badRequest(`content part type "${part.type}" is not supported by anthropic`);
  }
}

function blocksOf(content: ChatMessage['content']): AnthropicBlock[] {
  const out: AnthropicBlock[] = [];
  for (const p of partsOf(content)) {
    const b = partToBlock(p);
    if (b) out.push(b);
  }
  return out;
}

function toolResult(m: ChatMessage): AnthropicBlock {
  if (!m.tool_call_id) throw badRequest('tool message without tool_call_id');
  const parts = partsOf(m.content);
  const hasNonText = parts.some((p) => p.type !== 'text');
  const block: AnthropicBlock = {
    type: 'tool_result',
    tool_use_id: m.tool_call_id,
    content: hasNonText ? blocksOf(m.content) : textOf(m.content),
  };
  if (m.is_error === true) block.is_error = true;
  return block;
}

function assistantBlocks(m: ChatMessage): AnthropicBlock[] {
  const out = blocksOf(m.content);
  for (const tc of m.tool_calls ?? []) {
    out.push({
      type: 'tool_use',
      id: tc.id,
      name: tc.function.name,
      input: parseToolArguments(tc.function.arguments, tc.function.name),
    });
  }
  return out;
}

function translateTools(tools: ToolDefinition[]): NonNullable<AnthropicRequest['tools']> {
  return tools.map((t) => {
    const tool: NonNullable<AnthropicRequest['tools']>[number] = {
      name: t.function.name,
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    };
    if (t.function.description) tool.description = t.function.description;
    return tool;
  });
}

function translateToolChoice(req: ChatRequest): AnthropicRequest['tool_choice'] {
  const tc = req.tool_choice;
  let choice: AnthropicRequest['tool_choice'];
  if (tc === 'auto') choice = { type: 'auto' };
  else if (tc === 'required') choice = { type: 'any' };
  else if (tc === 'none') choice = { type: 'none' };
  else if (tc && typeof tc === 'object') choice = { type: 'tool', name: tc.function.name };
  if (req.parallel_tool_calls === false && tc !== 'none') {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return choice;
}

interface JsonSchemaFormat {
  name?: string;
  schema?: Record<string, unknown>;
  description?: string;
}

export function toAnthropicRequest(req: ChatRequest, model: string): AnthropicPlan {
  if (typeof req.n === 'number' && req.n > 1) throw badRequest('anthropic does not support n > 1');
  const system: AnthropicBlock[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicBlock[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of req.messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...blocksOf(m.content));
        break;
      case 'user':
        push('user', blocksOf(m.content));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m));
        break;
      case 'tool':
        push('user', [toolResult(m)]);
        break;
      default:
        throw badRequest(`message role "${m.role}" is not supported by anthropic`);
    }
  }

  const body: AnthropicRequest = { model, max_tokens: maxTokensOf(req) ?? ANTHROPIC_DEFAULT_MAX_TOKENS, messages };
  const stop = stopList(req.stop);
  if (stop) body.stop_sequences = stop;
  if (typeof req.temperature === 'number') body.temperature = req.temperature;
  if (typeof req.top_p === 'number') body.top_p = req.top_p;
  if (typeof req.top_k === 'number') body.top_k = req.top_k;
  if (req.thinking && typeof req.thinking === 'object') body.thinking = req.thinking;
  if (typeof req.user === 'string' && req.user) body.metadata = { user_id: req.user };
  if (req.tools && req.tools.length > 0) body.tools = translateTools(req.tools);
  const choice = translateToolChoice(req);
  if (choice && body.tools) body.tool_choice = choice;

  let jsonTool: string | null = null;
  const rf = req.response_format;
  if (rf?.type === 'json_schema') {
    const fmt = (rf.json_schema ?? {}) as JsonSchemaFormat;
    const schema = fmt.schema;
    if (!body.tools && schema && schema.type === 'object') {
      jsonTool = JSON_TOOL_NAME;
      body.tools = [
        {
          name: JSON_TOOL_NAME,
          description:
            fmt.description ?? `Respond with a JSON object${fmt.name ? ` (${fmt.name})` : ''} matching this schema.`,
          input_schema: schema,
        },
      ];
      body.tool_choice = { type: 'tool', name: JSON_TOOL_NAME };
    } else {
      system.push({
        type: 'text',
        text: `Respond only with valid JSON matching this JSON Schema, with no other text:\n${JSON.stringify(schema ?? {})}`,
      });
    }
  } else if (rf?.type === 'json_object') {
    system.push({ type: 'text', text: 'Respond only with a single valid JSON object, with no other text.' });
  }

  if (system.length > 0) {
    body.system = system.some((b) => b.cache_control !== undefined)
      ? system
      : system.map((b) => (b.type === 'text' ? (b.text as string) : '')).join('\n\n');
  }
  if (req.stream) body.stream = true;
  return { body, jsonTool };
}

/** `${baseUrl}/v1/messages`, tolerating base URLs that already end in /v1. */
export function messagesPath(baseUrl: string): string {
  return /\/v1\/?$/.test(new URL(baseUrl).pathname) ? '/messages' : '/v1/messages';
}
