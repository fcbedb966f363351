/**
 * Usage bookkeeping shared by the adapters: conversion NormalizedUsage ↔ OpenAI usage, and the
 * tracker behind UpstreamStream.usage() — the provider's figures when it reported final usage,
 * otherwise the gateway's own count (prompt + every text/tool-argument piece streamed so far),
 * which is what an aborted or failed stream is charged for.
 */
import type { ChatRequest, Usage } from '../../../common/openai-types.js';
import { countChatTokens, countTextTokens } from '../../../common/tokens.js';
import type { NormalizedUsage } from '../../../common/usage.js';

export function toOpenAIUsage(u: NormalizedUsage): Usage {
  const usage: Usage = {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.promptTokens + u.outputTokens,
  };
  if (u.cachedInputTokens > 0) usage.prompt_tokens_details = { cached_tokens: u.cachedInputTokens };
  return usage;
}

/** OpenAI-format usage (OpenAI, vLLM, Ollama, llama.cpp) → NormalizedUsage. */
export function fromOpenAIUsage(u: Usage): NormalizedUsage {
  const prompt = num(u.prompt_tokens);
  return {
    promptTokens: prompt,
    cachedInputTokens: Math.min(prompt, num(u.prompt_tokens_details?.cached_tokens)),
    cacheWriteTokens: 0,
    outputTokens: num(u.completion_tokens),
    source: 'provider',
  };
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

export function countPromptTokens(req: ChatRequest, model: string): number {
  return countChatTokens(model, req.messages, req.tools);
}

interface PromptPart {
  promptTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
}

export class UsageTracker {
  private readonly pieces: string[] = [];
  private final: NormalizedUsage | null = null;
  private prompt: PromptPart | null = null;

  constructor(
    private readonly req: ChatRequest,
    private readonly model: string,
  ) {}

  /** Generated text or tool-call arguments that reached the stream. */
  addOutput(text: string): void {
    if (text.length > 0) this.pieces.push(text);
  }

  /** The provider's complete usage for this response. */
  setFinal(u: NormalizedUsage): void {
    this.final = u;
  }

  /** The provider told us the prompt side early (Anthropic message_start, Gemini chunks). */
  setPrompt(p: PromptPart): void {
    this.prompt = p;
  }

  get hasFinal(): boolean {
    return this.final !== null;
  }

  outputText(): string {
    return this.pieces.join('');
  }

  usage(): NormalizedUsage {
    if (this.final) return this.final;
    const prompt = this.prompt ?? {
      promptTokens: countPromptTokens(this.req, this.model),
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
    };
    return {
      ...prompt,
      outputTokens: this.pieces.length === 0 ? 0 : countTextTokens(this.model, this.outputText()),
      source: 'counted',
    };
  }
}
