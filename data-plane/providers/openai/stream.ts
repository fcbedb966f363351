/**
 * OpenAI-format SSE → ChatChunks. Chunks pass through as parsed; the gateway only records usage,
 * counts streamed text for the fallback count, and removes the usage it forced upstream when the
 * client did not ask for it. A stream without `[DONE]` (or at least a finish_reason, for lenient
 * OpenAI-compatible servers) is a truncated answer and fails with ProviderError(midStream).
 */
import type { ChatChunk, ChatRequest } from '../../../common/openai-types.js';
import type { ProviderType } from '../../../common/snapshot.js';
import { setRawJson } from '../../pipeline/stream-chunks.js';
import { streamErrorEvent } from '../shared/errors.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { type StreamTranslator, truncated } from '../shared/stream.js';
import { fromOpenAIUsage, type UsageTracker } from '../shared/usage.js';
import { ProviderError } from '../types.js';
import { clientWantsUsage } from './request.js';

export class OpenAIStreamTranslator implements StreamTranslator {
  done = false;
  private finished = false;
  private readonly keepUsage: boolean;

  constructor(
    private readonly type: ProviderType,
    req: ChatRequest,
    private readonly tracker: UsageTracker,
  ) {
    this.keepUsage = clientWantsUsage(req);
  }

  onEvent(ev: SseEvent, out: ChatChunk[], midStream: boolean): void {
    const data = ev.data;
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    if (ev.event === 'error') throw streamErrorEvent(this.type, data, midStream);
    let chunk: ChatChunk & { error?: unknown };
    try {
      chunk = JSON.parse(data) as ChatChunk & { error?: unknown };
    } catch {
      throw new ProviderError('server_error', `${this.type} stream sent invalid JSON`, 200, null, midStream);
    }
    if (chunk.error !== undefined) throw streamErrorEvent(this.type, data, midStream);
    if (chunk.usage) this.tracker.setFinal(fromOpenAIUsage(chunk.usage));
    // OpenAI sends `"usage": null` on every chunk once include_usage is on; the client did not ask.
    let modified = false;
    if (!this.keepUsage && 'usage' in chunk) {
      delete chunk.usage;
      modified = true;
    }
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const c of choices) {
      const d = c.delta;
      if (d) {
        if (typeof d.content === 'string') this.tracker.addOutput(d.content);
        if (typeof d.reasoning_content === 'string') this.tracker.addOutput(d.reasoning_content);
        if (d.tool_calls) {
          for (const t of d.tool_calls) {
            if (t.function?.name) this.tracker.addOutput(t.function.name);
            if (t.function?.arguments) this.tracker.addOutput(t.function.arguments);
          }
        }
      }
      if (c.finish_reason) this.finished = true;
    }
    if (choices.length === 0 && !chunk.usage) return; // the stripped usage-only chunk
    // Unmodified: the ingress can send the upstream's bytes as they came (one line, so the frame
    // stays one `data:` line) instead of stringifying the object again.
    if (!modified && data.indexOf('\n') === -1) setRawJson(chunk, data);
    out.push(chunk);
  }

  onEnd(_out: ChatChunk[], midStream: boolean): void {
    if (this.finished) {
      this.done = true;
      return;
    }
    throw truncated(this.type, midStream);
  }
}
