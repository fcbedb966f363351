/** The OpenAI-compatible adapter (vLLM, Ollama, llama.cpp): the OpenAI adapter with compat body tweaks. */
import { createOpenAIFormatAdapter } from '../openai/index.js';
import type { ProviderAdapter } from '../types.js';
import { toCompatibleChatBody } from './request.js';

export const openaiCompatibleAdapter: ProviderAdapter = createOpenAIFormatAdapter({ chatBody: toCompatibleChatBody });
