/**
 * Fake OpenAI (and OpenAI-compatible) server: POST {base}/chat/completions (JSON and SSE with
 * `data: [DONE]`, usage chunk only when the request sets stream_options.include_usage) and
 * POST {base}/embeddings. Base URL: `${origin}/v1`; any path ending in these endpoints works.
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

const CREATED = 1_700_000_000;

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 401) return 'invalid_api_key';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function usageBody(b: FakeBehavior) {
  const u = usageOf(b);
  if (!u) return undefined;
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function toolCalls(b: FakeBehavior) {
  return (b.toolCalls ?? []).map((t, i) => ({
    id: t.id ?? `call_fake_${i}`,
    type: 'function' as const,
    function: { name: t.name, arguments: JSON.stringify(t.arguments) },
  }));
}

function chat(ex: Exchange): FakeReply {
  const { body, behavior: b } = ex;
  const model = typeof body.model === 'string' ? body.model : 'gpt-fake';
  const id = 'chatcmpl-fake';
  const calls = toolCalls(b);
  const finish = b.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  const pieces = piecesOf(b);
  if (body.stream !== true) {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: calls.length && !pieces.length ? null : pieces.join(''),
    };
    if (calls.length) message.tool_calls = calls;
    return {
      kind: 'json',
      body: {
        id,
        object: 'chat.completion',
        created: CREATED,
        model,
        choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
        usage: usageBody(b),
        system_fingerprint: 'fp_fake',
      },
    };
  }
  const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  // Like OpenAI: with include_usage every chunk carries "usage": null until the usage-only chunk.
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    sse({
      id,
      object: 'chat.completion.chunk',
      created: CREATED,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
      ...(wantsUsage ? { usage: null } : {}),
    });
  const content: string[] = pieces.map((p) => chunk({ content: p }));
  calls.forEach((c, i) => {
    content.push(
      chunk({
        tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
      }),
    );
    const args = c.function.arguments;
    const half = Math.ceil(args.length / 2);
    for (const part of [args.slice(0, half), args.slice(half)]) {
      if (part) content.push(chunk({ tool_calls: [{ index: i, function: { arguments: part } }] }));
    }
  });
  const closing = [chunk({}, finish)];
  const usage = usageBody(b);
  if (wantsUsage && usage) {
    closing.push(sse({ id, object: 'chat.completion.chunk', created: CREATED, model, choices: [], usage }));
  }
  return {
    kind: 'stream',
    prelude: [chunk({ role: 'assistant', content: '' })],
    content,
    closing,
    end: ['data: [DONE]\n\n'],
    errorEvent: sse({
      error: {
        message: b.errorMessage ?? 'The server had an error while processing your request.',
        type: 'server_error',
        param: null,
        code: null,
      },
    }),
  };
}

/** Deterministic small vectors (8 dims) derived from the text. */
function vector(text: string): number[] {
  const v = new Array<number>(8).fill(0);
  for (let i = 0; i < text.length; i++) v[i % 8] += text.charCodeAt(i) / 1000;
  return v;
}

function embeddings(ex: Exchange): FakeReply {
  const input = ex.body.input;
  const list = Array.isArray(input) ? input : [input];
  const u = usageOf(ex.behavior);
  return {
    kind: 'json',
    body: {
      object: 'list',
      data: list.map((t, index) => ({ object: 'embedding', index, embedding: vector(String(t)) })),
      model: ex.body.model,
      usage: u ? { prompt_tokens: u.prompt, total_tokens: u.prompt } : undefined,
    },
  };
}

export const openaiModule: ProviderModule = {
  basePath: '/v1',
  errorReply(status, b) {
    return {
      kind: 'json',
      status,
      body: {
        error: {
          message: b.errorMessage ?? `fake openai error ${status}`,
          type: b.errorType ?? (status === 429 ? 'requests' : errorType(status)),
          param: null,
          code: status === 429 ? 'rate_limit_exceeded' : null,
        },
      },
    };
  },
  contextReply(b) {
    return {
      kind: 'json',
      status: 400,
      body: {
        error: {
          message:
            b.errorMessage ??
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    };
  },
  reply(ex) {
    if (ex.url.pathname.endsWith('/chat/completions')) return chat(ex);
    if (ex.url.pathname.endsWith('/embeddings')) return embeddings(ex);
    return null;
  },
};

export function startFakeOpenAI(initial?: FakeBehavior): Promise<FakeServer> {
  return startFakeServer(openaiModule).then((s) => {
    if (initial) s.setBehavior(initial);
    return s;
  });
}
