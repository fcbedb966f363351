/**
 * Applies guardrail policies to an OpenAI-shaped request body. Scans the text a client supplies
 * (system, developer, user and tool messages: string contents and text parts; embeddings input)
 * and returns a redacted COPY — the caller's objects are never mutated, and unchanged messages
 * are shared, not cloned.
 */
import type { ChatMessage, ChatRequest, ContentPart, EmbeddingsRequest } from '../../common/openai-types.js';
import type { GuardrailRecord } from '../../common/snapshot.js';
import { type CompiledGuardrail, compiledGuardrail, newTally, type Tally } from './compile.js';

const SCANNED_ROLES = new Set(['system', 'developer', 'user', 'tool', 'function']);

export interface GuardrailResult<B> {
  body: B;
  tally: Tally;
  /** The policy that blocked the request, when tally.blocked is set. */
  blockedBy: string | null;
}

export function applyToChat(body: ChatRequest, records: readonly GuardrailRecord[]): GuardrailResult<ChatRequest> {
  const tally = newTally();
  let messages = body.messages;
  for (const record of records) {
    const g = compiledGuardrail(record);
    if (!g.inspectsText) continue;
    messages = scanMessages(messages, g, tally);
    if (tally.blocked) return { body, tally, blockedBy: g.id };
  }
  return { body: messages === body.messages ? body : { ...body, messages }, tally, blockedBy: null };
}

export function applyToEmbeddings(
  body: EmbeddingsRequest,
  records: readonly GuardrailRecord[],
): GuardrailResult<EmbeddingsRequest> {
  const tally = newTally();
  let input = body.input;
  for (const record of records) {
    const g = compiledGuardrail(record);
    if (!g.inspectsText) continue;
    if (typeof input === 'string') input = g.scan(input, tally);
    else if (Array.isArray(input) && input.some((x) => typeof x === 'string')) {
      const arr = input as unknown[];
      let changed: unknown[] | null = null;
      arr.forEach((item, i) => {
        if (typeof item !== 'string') return;
        const next = g.scan(item, tally);
        if (next !== item) {
          changed ??= arr.slice();
          changed[i] = next;
        }
      });
      if (changed) input = changed as EmbeddingsRequest['input'];
    }
    if (tally.blocked) return { body, tally, blockedBy: g.id };
  }
  return { body: input === body.input ? body : { ...body, input }, tally, blockedBy: null };
}

function scanMessages(messages: ChatMessage[], g: CompiledGuardrail, tally: Tally): ChatMessage[] {
  let out: ChatMessage[] | null = null;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!m || !SCANNED_ROLES.has(m.role)) continue;
    const content = scanContent(m.content, g, tally);
    if (tally.blocked) return messages;
    if (content !== m.content) {
      out ??= messages.slice();
      out[i] = { ...m, content };
    }
  }
  return out ?? messages;
}

function scanContent(content: ChatMessage['content'], g: CompiledGuardrail, tally: Tally): ChatMessage['content'] {
  if (typeof content === 'string') return g.scan(content, tally);
  if (!Array.isArray(content)) return content;
  let out: ContentPart[] | null = null;
  for (let i = 0; i < content.length; i++) {
    const part = content[i];
    if (part?.type !== 'text' || typeof part.text !== 'string') continue;
    const text = g.scan(part.text, tally);
    if (tally.blocked) return content;
    if (text !== part.text) {
      out ??= content.slice();
      out[i] = { ...part, text };
    }
  }
  return out ?? content;
}

/** "email:1,card:2" — kinds and counts only, in a stable order. */
export function formatCounts(counts: Tally['counts']): string {
  return Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}:${n}`)
    .join(',');
}
