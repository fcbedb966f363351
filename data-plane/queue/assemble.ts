/**
 * Turns a streamed answer into the chat.completion a non-streaming call would have returned.
 * Used for queued streaming requests: the poll endpoint serves JSON, never SSE.
 */
import type { ChatChoice, ChatChunk, ChatResponse, FinishReason, ToolCall, Usage } from '../../common/openai-types.js';

interface ChoiceAcc {
  content: string;
  hasContent: boolean;
  refusal: string;
  toolCalls: Map<number, ToolCall>;
  finish: FinishReason;
}

export async function assembleCompletion(chunks: AsyncIterable<ChatChunk>): Promise<ChatResponse> {
  let id = '';
  let model = '';
  let created = Math.floor(Date.now() / 1000);
  let usage: Usage | undefined;
  let fingerprint: string | null | undefined;
  const choices = new Map<number, ChoiceAcc>();
  for await (const chunk of chunks) {
    id ||= chunk.id;
    model ||= chunk.model;
    created = chunk.created || created;
    if (chunk.usage) usage = chunk.usage;
    if (typeof chunk.system_fingerprint === 'string') fingerprint = chunk.system_fingerprint;
    for (const c of chunk.choices ?? []) {
      let acc = choices.get(c.index);
      if (!acc) {
        acc = { content: '', hasContent: false, refusal: '', toolCalls: new Map(), finish: null };
        choices.set(c.index, acc);
      }
      const d = c.delta ?? {};
      if (typeof d.content === 'string' && d.content.length > 0) {
        acc.content += d.content;
        acc.hasContent = true;
      }
      if (typeof d.refusal === 'string') acc.refusal += d.refusal;
      for (const tc of d.tool_calls ?? []) {
        const cur = acc.toolCalls.get(tc.index) ?? { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (tc.id) cur.id = tc.id;
        if (tc.function?.name) cur.function.name += tc.function.name;
        if (tc.function?.arguments) cur.function.arguments += tc.function.arguments;
        acc.toolCalls.set(tc.index, cur);
      }
      if (c.finish_reason) acc.finish = c.finish_reason;
    }
  }
  const out: ChatChoice[] = [...choices.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, acc]) => {
      const toolCalls = [...acc.toolCalls.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
      const message: ChatChoice['message'] = {
        role: 'assistant',
        content: acc.hasContent || toolCalls.length === 0 ? acc.content : null,
      };
      if (toolCalls.length > 0) message.tool_calls = toolCalls;
      if (acc.refusal) message.refusal = acc.refusal;
      return { index, message, finish_reason: acc.finish, logprobs: null };
    });
  const response: ChatResponse = { id, object: 'chat.completion', created, model, choices: out };
  if (usage) response.usage = usage;
  if (fingerprint !== undefined) response.system_fingerprint = fingerprint;
  return response;
}
