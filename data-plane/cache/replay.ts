import type { ChatChunk, ChatResponse, ChunkDelta } from '../../common/openai-types.js';

/** Content is replayed in slices of about this many characters (split at whitespace). */
const SLICE_CHARS = 256;

function slices(text: string): string[] {
  if (text.length <= SLICE_CHARS) return [text];
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start) end = space + 1;
    }
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

export interface ReplayOptions {
  id: string;
  created: number;
  /** The client asked for stream_options.include_usage: end with a usage-only chunk. */
  includeUsage: boolean;
}

/**
 * A cached chat.completion as the chunks an OpenAI stream would have carried: per choice a role
 * chunk, content slices (logprobs on the first), tool-call deltas, a finish chunk; then the usage
 * chunk when asked for.
 */
export function replayAsChunks(response: ChatResponse, opts: ReplayOptions): ChatChunk[] {
  const base = { id: opts.id, object: 'chat.completion.chunk' as const, created: opts.created, model: response.model };
  const extra = response.system_fingerprint !== undefined ? { system_fingerprint: response.system_fingerprint } : {};
  const chunk = (
    index: number,
    delta: ChunkDelta,
    finish: ChatChunk['choices'][0]['finish_reason'],
    logprobs?: unknown,
  ): ChatChunk => ({
    ...base,
    ...extra,
    choices: [{ index, delta, finish_reason: finish, ...(logprobs !== undefined ? { logprobs } : {}) }],
  });
  const out: ChatChunk[] = [];
  for (const choice of response.choices) {
    const msg = choice.message;
    const text = typeof msg.content === 'string' ? msg.content : '';
    // Like OpenAI: "" on the role chunk of text answers, null on pure tool-call answers.
    const toolOnly = msg.content === null && (msg.tool_calls?.length ?? 0) > 0;
    out.push(chunk(choice.index, { role: 'assistant', content: toolOnly ? null : '' }, null));
    let logprobs = choice.logprobs ?? undefined;
    if (text.length > 0) {
      for (const piece of slices(text)) {
        out.push(chunk(choice.index, { content: piece }, null, logprobs));
        logprobs = undefined;
      }
    }
    if (typeof msg.refusal === 'string' && msg.refusal.length > 0) {
      out.push(chunk(choice.index, { refusal: msg.refusal }, null));
    }
    if (msg.tool_calls && msg.tool_calls.length > 0) {
      out.push(
        chunk(
          choice.index,
          {
            tool_calls: msg.tool_calls.map((tc, i) => ({
              index: i,
              id: tc.id,
              type: 'function' as const,
              function: { name: tc.function.name, arguments: tc.function.arguments },
            })),
          },
          null,
        ),
      );
    }
    out.push(chunk(choice.index, {}, choice.finish_reason));
  }
  if (opts.includeUsage && response.usage) {
    out.push({ ...base, ...extra, choices: [], usage: response.usage });
  }
  return out;
}

/** A cached chat.completion re-issued under this request's id and time. */
export function asFreshResponse(response: ChatResponse, id: string, created: number): ChatResponse {
  return { ...response, id, created };
}
