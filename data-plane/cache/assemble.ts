import type { ChatChunk, ChatResponse, FinishReason, ToolCall, Usage } from '../../common/openai-types.js';

interface ChoiceState {
  content: string;
  refusal: string;
  sawContent: boolean;
  tools: Map<number, ToolCall>;
  logprobs: unknown[] | null;
  finish: FinishReason;
}

const CACHEABLE_FINISH: ReadonlySet<FinishReason> = new Set(['stop', 'length', 'tool_calls']);

/**
 * Rebuilds the chat.completion a stream carried, chunk by chunk, so that a streamed answer can
 * later be served to a non-streaming request (and replayed to a streaming one).
 */
export class StreamAssembler {
  private id = '';
  private model = '';
  private created = 0;
  private fingerprint: string | null | undefined;
  private usage: Usage | null = null;
  private readonly choices = new Map<number, ChoiceState>();

  push(chunk: ChatChunk): void {
    if (!this.id) {
      this.id = chunk.id;
      this.model = chunk.model;
      this.created = chunk.created;
    }
    if (chunk.system_fingerprint !== undefined) this.fingerprint = chunk.system_fingerprint as string | null;
    if (chunk.usage) this.usage = chunk.usage;
    for (const c of chunk.choices ?? []) {
      let st = this.choices.get(c.index);
      if (!st) {
        st = { content: '', refusal: '', sawContent: false, tools: new Map(), logprobs: null, finish: null };
        this.choices.set(c.index, st);
      }
      const d = c.delta ?? {};
      if (typeof d.content === 'string' && d.content.length > 0) {
        st.content += d.content;
        st.sawContent = true;
      }
      if (typeof d.refusal === 'string') st.refusal += d.refusal;
      for (const tc of d.tool_calls ?? []) {
        const cur = st.tools.get(tc.index) ?? { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (tc.id) cur.id = tc.id;
        if (tc.function?.name) cur.function.name += tc.function.name;
        if (tc.function?.arguments) cur.function.arguments += tc.function.arguments;
        st.tools.set(tc.index, cur);
      }
      const lp = c.logprobs as { content?: unknown[] } | null | undefined;
      if (lp && Array.isArray(lp.content)) st.logprobs = [...(st.logprobs ?? []), ...lp.content];
      if (c.finish_reason) st.finish = c.finish_reason;
    }
  }

  /** True when every choice finished normally (stop, length, tool_calls). */
  complete(): boolean {
    if (this.choices.size === 0) return false;
    for (const st of this.choices.values()) if (!CACHEABLE_FINISH.has(st.finish)) return false;
    return true;
  }

  /** The assembled response; `usage` fills in when the stream carried none. */
  response(fallbackUsage: Usage | null): ChatResponse {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, st]) => {
        const tools = [...st.tools.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
        return {
          index,
          message: {
            role: 'assistant' as const,
            content: st.sawContent || tools.length === 0 ? st.content : null,
            ...(st.refusal ? { refusal: st.refusal } : {}),
            ...(tools.length > 0 ? { tool_calls: tools } : {}),
          },
          finish_reason: st.finish,
          ...(st.logprobs ? { logprobs: { content: st.logprobs } } : {}),
        };
      });
    const usage = this.usage ?? fallbackUsage;
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices,
      ...(usage ? { usage } : {}),
      ...(this.fingerprint !== undefined ? { system_fingerprint: this.fingerprint } : {}),
    };
  }
}

/** Whether a non-streamed answer is complete enough to cache. */
export function isCacheableResponse(r: ChatResponse): boolean {
  return r.choices.length > 0 && r.choices.every((c) => CACHEABLE_FINISH.has(c.finish_reason));
}
