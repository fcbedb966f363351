/**
 * Anthropic streaming events → OpenAI chunks.
 *   message_start            → (remember id/model/prompt usage; the role chunk is sent lazily
 *                               with the first real delta, so an early `error` event still
 *                               counts as "before the first chunk" and can be retried)
 *   content_block_start      → tool_use: tool_calls delta with id/name/empty arguments
 *   content_block_delta      → text_delta: content; input_json_delta: tool arguments (or content
 *                               for the json_schema stand-in tool); thinking_delta: reasoning_content
 *   message_delta            → finish chunk (stop_reason mapped), final usage
 *   message_stop             → end (+ usage chunk when the client asked for include_usage)
 *   error                    → ProviderError (overloaded_error → server_error …)
 */
import type { ChatChunk, ChatRequest, ChunkDelta, FinishReason } from '../../../common/openai-types.js';
import { clientWantsUsage } from '../openai/request.js';
import { nowSeconds } from '../shared/content.js';
import { streamErrorEvent } from '../shared/errors.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { type StreamTranslator, truncated } from '../shared/stream.js';
import { toOpenAIUsage, type UsageTracker } from '../shared/usage.js';
import { ProviderError } from '../types.js';
import { type AnthropicUsage, mapStopReason, normalizeAnthropicUsage } from './response.js';

type BlockKind = 'text' | 'tool' | 'json' | 'thinking' | 'other';

interface StreamEventData {
  type: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: { type: string; id?: string; name?: string; text?: string };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    thinking?: string;
    stop_reason?: string | null;
  };
  usage?: AnthropicUsage;
}

export class AnthropicStreamTranslator implements StreamTranslator {
  done = false;
  private id = '';
  private model: string;
  private readonly created = nowSeconds();
  private roleSent = false;
  private readonly blocks = new Map<number, { kind: BlockKind; toolIndex: number }>();
  private toolCount = 0;
  private usedJsonTool = false;
  private startUsage: AnthropicUsage = {};
  private finalUsage: AnthropicUsage | null = null;
  private finished = false;
  private readonly keepUsage: boolean;

  constructor(
    req: ChatRequest,
    model: string,
    private readonly jsonTool: string | null,
    private readonly tracker: UsageTracker,
  ) {
    this.model = model;
    this.keepUsage = clientWantsUsage(req);
  }

  private chunk(delta: ChunkDelta, finish: FinishReason = null): ChatChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  }

  private emit(out: ChatChunk[], delta: ChunkDelta, finish: FinishReason = null): void {
    if (!this.roleSent) {
      this.roleSent = true;
      out.push(this.chunk({ role: 'assistant', content: '' }));
    }
    out.push(this.chunk(delta, finish));
  }

  onEvent(ev: SseEvent, out: ChatChunk[], midStream: boolean): void {
    if (ev.event === 'error') throw streamErrorEvent('anthropic', ev.data, midStream);
    let e: StreamEventData;
    try {
      e = JSON.parse(ev.data) as StreamEventData;
    } catch {
      throw new ProviderError('server_error', 'anthropic stream sent invalid JSON', 200, null, midStream);
    }
    switch (e.type) {
      case 'message_start': {
        this.id = e.message?.id ?? this.id;
        this.model = e.message?.model ?? this.model;
        this.startUsage = e.message?.usage ?? {};
        const u = normalizeAnthropicUsage(this.startUsage);
        this.tracker.setPrompt(u);
        break;
      }
      case 'content_block_start':
        this.blockStart(e, out);
        break;
      case 'content_block_delta':
        this.blockDelta(e, out);
        break;
      case 'message_delta': {
        if (e.usage) this.finalUsage = { ...this.startUsage, ...stripNulls(e.usage) };
        const finish = mapStopReason(e.delta?.stop_reason, this.usedJsonTool) ?? 'stop';
        this.finished = true;
        if (this.finalUsage) this.tracker.setFinal(normalizeAnthropicUsage(this.finalUsage));
        this.emit(out, {}, finish);
        break;
      }
      case 'message_stop':
        if (!this.finished) throw truncated('anthropic', midStream);
        this.done = true;
        if (this.keepUsage) {
          const c = this.chunk({});
          c.choices = [];
          c.usage = toOpenAIUsage(this.tracker.usage());
          out.push(c);
        }
        break;
      case 'error':
        throw streamErrorEvent('anthropic', ev.data, midStream);
      default:
        break; // ping, content_block_stop, future event types
    }
  }

  private blockStart(e: StreamEventData, out: ChatChunk[]): void {
    const b = e.content_block;
    const index = e.index ?? 0;
    if (!b) return;
    if (b.type === 'text') {
      this.blocks.set(index, { kind: 'text', toolIndex: -1 });
      if (b.text) {
        this.tracker.addOutput(b.text);
        this.emit(out, { content: b.text });
      }
    } else if (b.type === 'tool_use') {
      if (this.jsonTool && b.name === this.jsonTool) {
        this.usedJsonTool = true;
        this.blocks.set(index, { kind: 'json', toolIndex: -1 });
        return;
      }
      const toolIndex = this.toolCount++;
      this.blocks.set(index, { kind: 'tool', toolIndex });
      this.tracker.addOutput(b.name ?? '');
      this.emit(out, {
        tool_calls: [{ index: toolIndex, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }],
      });
    } else if (b.type === 'thinking') {
      this.blocks.set(index, { kind: 'thinking', toolIndex: -1 });
    } else {
      this.blocks.set(index, { kind: 'other', toolIndex: -1 });
    }
  }

  private blockDelta(e: StreamEventData, out: ChatChunk[]): void {
    const d = e.delta;
    const block = this.blocks.get(e.index ?? 0);
    if (!d || !block) return;
    if (d.type === 'text_delta' && typeof d.text === 'string') {
      this.tracker.addOutput(d.text);
      this.emit(out, { content: d.text });
    } else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string') {
      if (d.partial_json === '') return;
      this.tracker.addOutput(d.partial_json);
      if (block.kind === 'json') this.emit(out, { content: d.partial_json });
      else if (block.kind === 'tool') {
        this.emit(out, { tool_calls: [{ index: block.toolIndex, function: { arguments: d.partial_json } }] });
      }
    } else if (d.type === 'thinking_delta' && typeof d.thinking === 'string') {
      this.tracker.addOutput(d.thinking);
      this.emit(out, { reasoning_content: d.thinking });
    }
  }

  onEnd(_out: ChatChunk[], midStream: boolean): void {
    throw truncated('anthropic', midStream);
  }
}

function stripNulls(u: AnthropicUsage): AnthropicUsage {
  const r: AnthropicUsage = {};
  for (const [k, v] of Object.entries(u)) if (v !== null && v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}
