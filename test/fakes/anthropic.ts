/**
 * Fake Anthropic Messages API: POST /v1/messages (JSON, and SSE with the real event sequence
 * message_start → content_block_start/delta/stop (text_delta, input_json_delta) → message_delta →
 * message_stop, plus a ping). Errors use {"type":"error","error":{type,message}}; 529 is
 * overloaded_error; the in-stream error is `event: error`. Base URL: `${origin}` (no path).
 */
import {
  type Exchange,
  type FakeReply,
  type ProviderModule,
  piecesOf,
  sse,
  startFakeServer,
  usageOf,
} from './server.js';
import type { FakeBehavior, FakeServer } from './types.js';

function errorTypeFor(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

function errorBody(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

function usageParts(b: FakeBehavior) {
  const u = usageOf(b);
  if (!u) return null;
  return {
    input_tokens: u.prompt - u.cached - u.cacheWrite,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cached,
    output_tokens: u.completion,
  };
}

function messages(ex: Exchange): FakeReply {
  const { body, behavior: b } = ex;
  const model = typeof body.model === 'string' ? body.model : 'claude-fake';
  const id = 'msg_fake01';
  const pieces = piecesOf(b);
  const calls = (b.toolCalls ?? []).map((t, i) => ({
    id: t.id ?? `toolu_fake_${i}`,
    name: t.name,
    input: t.arguments,
  }));
  const stop = b.finishReason ?? (calls.length > 0 ? 'tool_use' : 'end_turn');
  const usage = usageParts(b);
  if (body.stream !== true) {
    const content: unknown[] = [];
    if (pieces.length) content.push({ type: 'text', text: pieces.join('') });
    for (const c of calls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.input });
    return {
      kind: 'json',
      body: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stop,
        stop_sequence: null,
        usage: usage ?? { input_tokens: 0, output_tokens: 0 },
      },
    };
  }
  const startUsage = usage ? { ...usage, output_tokens: 1 } : { input_tokens: 0, output_tokens: 0 };
  const prelude = [
    sse(
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: startUsage,
        },
      },
      'message_start',
    ),
  ];
  const content: string[] = [];
  let block = 0;
  if (pieces.length) {
    prelude.push(
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    );
    prelude.push(sse({ type: 'ping' }, 'ping'));
    for (const p of pieces) {
      content.push(
        sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }, 'content_block_delta'),
      );
    }
    content.push(sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
    block = 1;
  }
  for (const c of calls) {
    const index = block++;
    content.push(
      sse(
        { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } },
        'content_block_start',
      ),
    );
    const json = JSON.stringify(c.input);
    const half = Math.ceil(json.length / 2);
    content.push(
      sse(
        { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } },
        'content_block_delta',
      ),
    );
    for (const part of [json.slice(0, half), json.slice(half)]) {
      if (part)
        content.push(
          sse(
            { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } },
            'content_block_delta',
          ),
        );
    }
    content.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
  }
  const closing = [
    sse(
      {
        type: 'message_delta',
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: usage ? usage.output_tokens : 0 },
      },
      'message_delta',
    ),
  ];
  return {
    kind: 'stream',
    prelude,
    content,
    closing,
    end: [sse({ type: 'message_stop' }, 'message_stop')],
    errorEvent: sse(errorBody(b.errorType ?? 'overloaded_error', b.errorMessage ?? 'Overloaded'), 'error'),
  };
}

export const anthropicModule: ProviderModule = {
  basePath: '',
  errorReply(status, b) {
    const type = b.errorType ?? errorTypeFor(status);
    return {
      kind: 'json',
      status,
      body: errorBody(type, b.errorMessage ?? (status === 529 ? 'Overloaded' : `fake anthropic error ${status}`)),
    };
  },
  contextReply(b) {
    return {
      kind: 'json',
      status: 400,
      body: errorBody('invalid_request_error', b.errorMessage ?? 'prompt is too long: 210012 tokens > 200000 maximum'),
    };
  },
  reply(ex) {
    return ex.url.pathname.endsWith('/messages') ? messages(ex) : null;
  },
};

export function startFakeAnthropic(initial?: FakeBehavior): Promise<FakeServer> {
  return startFakeServer(anthropicModule).then((s) => {
    if (initial) s.setBehavior(initial);
    return s;
  });
}
