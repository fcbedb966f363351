/** A SimPlan → OpenAI ChatResponse, with usage consistent with the text (provider-style usage). */
import type { ChatResponse } from '../../../common/openai-types.js';
import type { NormalizedUsage } from '../../../common/usage.js';
import { nowSeconds } from '../shared/content.js';
import { toOpenAIUsage } from '../shared/usage.js';
import type { SimPlan } from './request.js';

export function simulatedUsage(plan: SimPlan): NormalizedUsage {
  return {
    promptTokens: plan.promptTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: plan.outputTokens,
    source: 'provider',
  };
}

export function simulatedResponse(plan: SimPlan, model: string): { response: ChatResponse; usage: NormalizedUsage } {
  const usage = simulatedUsage(plan);
  const response: ChatResponse = {
    id: plan.id,
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: plan.choices.map((c) => {
      const message: ChatResponse['choices'][number]['message'] = {
        role: 'assistant',
        content: c.toolCalls.length > 0 ? null : c.pieces.join(''),
      };
      if (c.toolCalls.length > 0) message.tool_calls = c.toolCalls;
      return { index: c.index, message, finish_reason: c.finish, logprobs: null };
    }),
    usage: toOpenAIUsage(usage),
    system_fingerprint: 'fp_sluice_simulated',
  };
  return { response, usage };
}
