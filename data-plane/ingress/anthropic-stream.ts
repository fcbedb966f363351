/**
 * OpenAI chat chunks → the Anthropic Messages SSE event sequence:
 *   message_start, (content_block_start, content_block_delta*, content_block_stop)*, message_delta, message_stop
 * Text deltas become text blocks, tool_call deltas become tool_use blocks with input_json_delta;
 * a block closes when the next one starts. message_start waits for the first chunk (so a failure
 * before any output is still a plain HTTP error). Usage arrives on OpenAI's final usage chunk and
 * goes out in message_delta.
 */
import type { ChatChunk, FinishReason, Usage } from '../../common/openai-types.js';
import type { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/types.js';
import {
  type AnthropicStopReason,
  anthropicErrorType,
  anthropicUsage,
  messageId,
  stopReason,
} from './anthropic-response.js';
import type { StreamEncoder } from './types.js';

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function anthropicErrorFrame(err: GatewayError): string {
  return frame('error', { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } });
}

type OpenBlock = { kind: 'text'; index: number } | { kind: 'tool'; index: number; openAiIndex: number };

export class AnthropicStreamEncoder implements StreamEncoder {
  private started = false;
  private open: OpenBlock | null = null;
  private nextIndex = 0;
  private finish: FinishReason | undefined;
  private usage: Usage | null = null;
  private out = '';

  constructor(private readonly ctx: RequestContext) {}

  chunk(chunk: ChatChunk): string {
    if (!this.started) this.start(chunk);
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0) continue; // Anthropic has no n > 1.
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        if (this.open?.kind !== 'text') {
          this.closeOpen();
          this.open = { kind: 'text', index: this.nextIndex++ };
          this.out += frame('content_block_start', {
            type: 'content_block_start',
            index: this.open.index,
            content_block: { type: 'text', text: '' },
          });
        }
        this.out += frame('content_block_delta', {
          type: 'content_block_delta',
          index: this.open.index,
          delta: { type: 'text_delta', text: delta.content },
        });
      }
      for (const call of delta.tool_calls ?? []) {
        const current = this.open;
        if (current?.kind !== 'tool' || current.openAiIndex !== call.index) {
          this.closeOpen();
          const block: OpenBlock = { kind: 'tool', index: this.nextIndex++, openAiIndex: call.index };
          this.open = block;
          this.out += frame('content_block_start', {
            type: 'content_block_start',
            index: block.index,
            content_block: {
              type: 'tool_use',
              id: call.id ?? `toolu_${this.ctx.id}_${call.index}`,
              name: call.function?.name ?? '',
              input: {},
            },
          });
        }
        const args = call.function?.arguments;
        if (args && this.open) {
          this.out += frame('content_block_delta', {
            type: 'content_block_delta',
            index: this.open.index,
            delta: { type: 'input_json_delta', partial_json: args },
          });
        }
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return this.take();
  }

  end(): string {
    if (!this.started) this.start(null);
    this.closeOpen();
    const reason: AnthropicStopReason = stopReason(this.finish) ?? 'end_turn';
    const usage = this.usage;
    const u = anthropicUsage(usage);
    this.out += frame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: reason, stop_sequence: null },
      usage: usage ? { ...u } : { output_tokens: this.ctx.meta.usage?.outputTokens ?? 0 },
    });
    this.out += frame('message_stop', { type: 'message_stop' });
    return this.take();
  }

  private take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  private start(chunk: ChatChunk | null): void {
    this.started = true;
    const { ctx } = this;
    const estimate = ctx.meta.inputTokensEstimate ?? 0;
    this.out += frame('message_start', {
      type: 'message_start',
      message: {
        id: messageId(chunk?.id, ctx.id),
        type: 'message',
        role: 'assistant',
        model: ctx.body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: estimate, output_tokens: 0 },
      },
    });
  }

  private closeOpen(): void {
    if (this.open) this.out += frame('content_block_stop', { type: 'content_block_stop', index: this.open.index });
    this.open = null;
  }
}
