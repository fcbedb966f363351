/**
 * Gemini GenerateContentResponse → OpenAI ChatResponse. Candidates → choices (text parts →
 * content, `thought` parts → reasoning_content, functionCall → tool_calls with generated ids).
 * Usage: promptTokens = promptTokenCount (+ toolUsePromptTokenCount), cachedInputTokens =
 * cachedContentTokenCount (a subset of promptTokenCount), outputTokens = candidatesTokenCount +
 * thoughtsTokenCount (thinking is billed as output).
 */
import { randomBytes } from 'node:crypto';
import type { ChatResponse, FinishReason, ToolCall } from '../../../common/openai-types.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { nowSeconds } from '../shared/content.js';
import { num, toOpenAIUsage } from '../shared/usage.js';
import { ProviderError } from '../types.js';
import type { GeminiPart } from './request.js';

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

export function normalizeGeminiUsage(u: GeminiUsageMetadata): NormalizedUsage {
  const prompt = num(u.promptTokenCount) + num(u.toolUsePromptTokenCount);
  return {
    promptTokens: prompt,
    cachedInputTokens: Math.min(prompt, num(u.cachedContentTokenCount)),
    cacheWriteTokens: 0,
    outputTokens: num(u.candidatesTokenCount) + num(u.thoughtsTokenCount),
    source: 'provider',
  };
}

export function mapFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    case undefined:
    case '':
      return null;
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    default:
      // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, FINISH_REASON_UNSPECIFIED
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

export function toolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

export function fromGeminiResponse(json: unknown, model: string): { response: ChatResponse; usage: NormalizedUsage } {
  const res = json as GeminiResponse;
  if (!res || typeof res !== 'object')
    throw new ProviderError('server_error', 'gemini returned a malformed response', 200);
  const choices: ChatResponse['choices'] = [];
  const candidates = res.candidates ?? [];
  candidates.forEach((cand, i) => {
    let text = '';
    let reasoning = '';
    const toolCalls: ToolCall[] = [];
    for (const p of cand.content?.parts ?? []) {
      if (typeof p.text === 'string') {
        if (p.thought === true) reasoning += p.text;
        else text += p.text;
      } else if (p.functionCall) {
        toolCalls.push({
          id: p.functionCall.id ?? toolCallId(),
          type: 'function',
          function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
        });
      }
    }
    const message: ChatResponse['choices'][number]['message'] = {
      role: 'assistant',
      content: text === '' && toolCalls.length > 0 ? null : text,
    };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    if (reasoning) message.reasoning_content = reasoning;
    choices.push({
      index: cand.index ?? i,
      message,
      finish_reason: mapFinishReason(cand.finishReason, toolCalls.length > 0) ?? 'stop',
      logprobs: null,
    });
  });
  if (choices.length === 0) {
    // The prompt itself was blocked (promptFeedback.blockReason): no candidates at all.
    choices.push({
      index: 0,
      message: { role: 'assistant', content: '' },
      finish_reason: 'content_filter',
      logprobs: null,
    });
  }
  const usage = normalizeGeminiUsage(res.usageMetadata ?? {});
  const response: ChatResponse = {
    id: res.responseId ? `chatcmpl-${res.responseId}` : `chatcmpl-${randomBytes(12).toString('hex')}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model: res.modelVersion ?? model,
    choices,
    usage: toOpenAIUsage(usage),
  };
  return { response, usage };
}
