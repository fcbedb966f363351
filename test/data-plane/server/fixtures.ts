/**
 * Test pipelines for the server core: the real auth stage in front of a scripted terminal stage,
 * so the server's parsing, auth, rendering, streaming and back-pressure are tested without
 * depending on the providers/router (their own tests cover the full pipeline end to end).
 */
import pino from 'pino';
import type { ChatChunk, ChatResponse } from '../../../common/openai-types.js';
import type { Pipeline } from '../../../data-plane/pipeline/build.js';
import type { AdminRoute, BuiltStage, ClientRoute, StageDeps } from '../../../data-plane/pipeline/deps.js';
import { compose, type Outcome, type RequestContext } from '../../../data-plane/pipeline/types.js';
import { createAuthStage } from '../../../data-plane/stages/auth.js';
import { TEST_KEY } from '../../helpers/snapshot.js';

export type Terminal = (ctx: RequestContext) => Promise<Outcome>;

export interface TestPipeline extends Pipeline {
  /** Every context that reached the terminal stage. */
  seen: RequestContext[];
  closed: boolean;
}

export function testPipeline(
  terminal: Terminal,
  extra: { adminRoutes?: AdminRoute[]; clientRoutes?: ClientRoute[] } = {},
): TestPipeline {
  const seen: RequestContext[] = [];
  const deps = { logger: pino({ level: 'silent' }) } as unknown as StageDeps;
  const stages: BuiltStage[] = [
    createAuthStage(deps),
    {
      name: 'terminal',
      run: (ctx) => {
        seen.push(ctx);
        return terminal(ctx);
      },
    },
  ];
  const p: TestPipeline = {
    run: compose(stages),
    stages,
    adminRoutes: extra.adminRoutes ?? [],
    clientRoutes: extra.clientRoutes ?? [],
    seen,
    closed: false,
    async close() {
      p.closed = true;
    },
  };
  return p;
}

export function completion(content: string, over: Partial<ChatResponse> = {}): ChatResponse {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    ...over,
  };
}

export function chunk(
  delta: ChatChunk['choices'][number]['delta'],
  finish: ChatChunk['choices'][number]['finish_reason'] = null,
): ChatChunk {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

export function usageChunk(prompt: number, completionTokens: number): ChatChunk {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
  };
}

/** A terminal that answers JSON for non-streaming and the given chunks for streaming requests. */
export function scripted(content = 'Hello!', parts = ['Hel', 'lo', '!']): Terminal {
  return async (ctx) => {
    if (!ctx.stream) return { type: 'json', status: 200, body: completion(content) };
    async function* gen() {
      yield chunk({ role: 'assistant', content: '' });
      for (const p of parts) yield chunk({ content: p });
      yield chunk({}, 'stop');
      yield usageChunk(5, parts.length);
    }
    return { type: 'stream', chunks: gen() };
  };
}

export const AUTH = { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' };

export const chatBody = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...over });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until true or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
