// PLACEHOLDER (owner: limits): chars/4 until the js-tiktoken counter lands. Keep the signatures.
import type { ChatMessage, ToolDefinition } from './openai-types.js';

/** Tokens of a plain string for `model`'s tokenizer. */
export function countTextTokens(_model: string, text: string): number {
  return Math.ceil(text.length / 4);
}

/** Prompt tokens of a chat request, with the per-message overhead OpenAI documents. */
export function countChatTokens(model: string, messages: ChatMessage[], tools?: ToolDefinition[]): number {
  let n = 3;
  for (const m of messages) {
    n += 3 + countTextTokens(model, typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''));
  }
  if (tools) n += countTextTokens(model, JSON.stringify(tools));
  return n;
}
