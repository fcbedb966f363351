/**
 * Gemini streamGenerateContent?alt=sse → OpenAI chunks. Every SSE event is a partial
 * GenerateContentResponse: text parts become content deltas, each functionCall part a complete
 * tool_calls delta (Gemini sends whole calls, never partial arguments), a finishReason the finish
 * chunk of that candidate. usageMetadata is cumulative; the last one after a finishReason is the
 * final usage. Gemini has no end marker: a body that ends before any finishReason was cut short.
 */
import type { ChatChunk, ChatRequest, ChunkDelta, FinishReason } from '../../../common/openai-types.js';
import { clientWantsUsage } from '../openai/request.js';
import { nowSeconds } from '../shared/content.js';
import { streamErrorEvent } from '../shared/errors.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { type StreamTranslator, truncated } from '../shared/stream.js';
import { toOpenAIUsage, type UsageTracker } from '../shared/usage.js';
import { ProviderError } from '../types.js';
import {
  type GeminiResponse,
  type GeminiUsageMetadata,
  mapFinishReason,
  normalizeGeminiUsage,
  toolCallId,
} from './response.js';

interface CandidateState {
  toolCount: number;
}

export class GeminiStreamTranslator implements StreamTranslator {
  done = false;
  private id = '';
  private model: string;
  private readonly created = nowSeconds();
  private readonly candidates = new Map<number, CandidateState>();
  private finished = false;
  private lastUsage: GeminiUsageMetadata | null = null;
  private readonly keepUsage: boolean;

  constructor(
    req: ChatRequest,
    model: string,
    private readonly tracker: UsageTracker,
  ) {
    this.model = model;
    this.keepUsage = clientWantsUsage(req);
  }

  private chunk(index: number, delta: ChunkDelta, finish: FinishReason = null): ChatChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index, delta, finish_reason: finish }],
    };
  }

  private state(index: number, out: ChatChunk[]): CandidateState {
    let s = this.candidates.get(index);
    if (!s) {
      s = { toolCount: 0 };
      this.candidates.set(index, s);
      out.push(this.chunk(index, { role: 'assistant', content: '' }));
    }
    return s;
  }

  onEvent(ev: SseEvent, out: ChatChunk[], midStream: boolean): void {
    let res: GeminiResponse & { error?: unknown };
    try {
      res = JSON.parse(ev.data) as GeminiResponse & { error?: unknown };
    } catch {
      throw new ProviderError('server_error', 'gemini stream sent invalid JSON', 200, null, midStream);
    }
    if (res.error !== undefined) throw streamErrorEvent('gemini', ev.data, midStream);
    if (!this.id) this.id = res.responseId ? `chatcmpl-${res.responseId}` : `chatcmpl-${toolCallId().slice(5)}`;
    if (res.modelVersion) this.model = res.modelVersion;
    if (res.usageMetadata) {
      this.lastUsage = res.usageMetadata;
      const u = normalizeGeminiUsage(res.usageMetadata);
      if (u.promptTokens > 0) this.tracker.setPrompt(u);
    }
    const cands = res.candidates ?? [];
    if (cands.length === 0 && res.promptFeedback?.blockReason) {
      this.state(0, out);
      out.push(this.chunk(0, {}, 'content_filter'));
      this.finished = true;
      return;
    }
    for (let i = 0; i < cands.length; i++) {
      const cand = cands[i];
      const index = cand.index ?? i;
      const s = this.state(index, out);
      for (const p of cand.content?.parts ?? []) {
        if (typeof p.text === 'string') {
          if (p.text === '') continue;
          this.tracker.addOutput(p.text);
          out.push(this.chunk(index, p.thought === true ? { reasoning_content: p.text } : { content: p.text }));
        } else if (p.functionCall) {
          const args = JSON.stringify(p.functionCall.args ?? {});
          this.tracker.addOutput(p.functionCall.name + args);
          out.push(
            this.chunk(index, {
              tool_calls: [
                {
                  index: s.toolCount++,
                  id: p.functionCall.id ?? toolCallId(),
                  type: 'function',
                  function: { name: p.functionCall.name, arguments: args },
                },
              ],
            }),
          );
        }
      }
      if (cand.finishReason) {
        this.finished = true;
        out.push(this.chunk(index, {}, mapFinishReason(cand.finishReason, s.toolCount > 0) ?? 'stop'));
      }
    }
  }

  onEnd(out: ChatChunk[], midStream: boolean): void {
    if (!this.finished) throw truncated('gemini', midStream);
    this.done = true;
    if (this.lastUsage) this.tracker.setFinal(normalizeGeminiUsage(this.lastUsage));
    if (this.keepUsage) {
      const c = this.chunk(0, {});
      c.choices = [];
      c.usage = toOpenAIUsage(this.tracker.usage());
      out.push(c);
    }
  }
}
