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

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function anthropicErrorFrame(err: GatewayError): string {
  return frame('error', { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } });
}

type OpenBlock = { kind: 'text'; index: number } | { kind: 'tool'; index: number; openAiIndex: number };

export async function* anthropicFrames(chunks: AsyncIterable<ChatChunk>, ctx: RequestContext): AsyncGenerator<string> {
  let started = false;
  let open: OpenBlock | null = null;
  let nextIndex = 0;
  let finish: FinishReason | undefined;
  let usage: Usage | null = null;
  let out = '';

  const start = (chunk: ChatChunk | null) => {
    started = true;
    const estimate = ctx.meta.inputTokensEstimate ?? 0;
    out += frame('message_start', {
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
  };
  const closeOpen = () => {
    if (open) out += frame('content_block_stop', { type: 'content_block_stop', index: open.index });
    open = null;
  };

  for await (const chunk of chunks) {
    if (!started) start(chunk);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0) continue; // Anthropic has no n > 1.
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        if (open?.kind !== 'text') {
          closeOpen();
          open = { kind: 'text', index: nextIndex++ };
          out += frame('content_block_start', {
            type: 'content_block_start',
            index: open.index,
            content_block: { type: 'text', text: '' },
          });
        }
        out += frame('content_block_delta', {
          type: 'content_block_delta',
          index: open.index,
          delta: { type: 'text_delta', text: delta.content },
        });
      }
      for (const call of delta.tool_calls ?? []) {
        const current = open as OpenBlock | null;
        if (current?.kind !== 'tool' || current.openAiIndex !== call.index) {
          closeOpen();
          const block: OpenBlock = { kind: 'tool', index: nextIndex++, openAiIndex: call.index };
          open = block;
          out += frame('content_block_start', {
            type: 'content_block_start',
            index: block.index,
            content_block: {
              type: 'tool_use',
              id: call.id ?? `toolu_${ctx.id}_${call.index}`,
              name: call.function?.name ?? '',
              input: {},
            },
          });
        }
        const args = call.function?.arguments;
        if (args && open) {
          out += frame('content_block_delta', {
            type: 'content_block_delta',
            index: open.index,
            delta: { type: 'input_json_delta', partial_json: args },
          });
        }
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (out) {
      yield out;
      out = '';
    }
  }

  if (!started) start(null);
  closeOpen();
  const reason: AnthropicStopReason = stopReason(finish) ?? 'end_turn';
  const u = anthropicUsage(usage);
  out += frame('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: reason, stop_sequence: null },
    usage: usage ? { ...u } : { output_tokens: ctx.meta.usage?.outputTokens ?? 0 },
  });
  out += frame('message_stop', { type: 'message_stop' });
  yield out;
}
