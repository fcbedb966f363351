import type { ChatMessage, ChatRequest } from '../../../common/openai-types.js';
import { canonicalJson, sha256Hex } from '../canonical.js';
import { semanticBody } from '../exact/key.js';

export interface SemanticQuery {
  /** The last user turn's text (what gets embedded). */
  text: string;
  /** Context-scope hash: candidates are only compared inside one scope. */
  scope: string;
}

const isSystem = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';

/** Text of a user message, or null when it carries non-text parts (images, audio: not embeddable). */
function userText(m: ChatMessage): string | null {
  if (typeof m.content === 'string') return m.content;
  if (!Array.isArray(m.content)) return null;
  const texts: string[] = [];
  for (const part of m.content) {
    if (part.type !== 'text' || typeof part.text !== 'string') return null;
    texts.push(part.text);
  }
  return texts.join('\n');
}

/**
 * What the semantic tier compares: the last user turn, inside a scope made of the namespace, the
 * embedder, the route, every other parameter, the system prompt and the earlier conversation —
 * so "yes, do that" after two different assistant turns is never the same question.
 * Null when the request is not eligible (too many messages, last turn not a plain user text).
 */
export function semanticQuery(
  body: ChatRequest,
  namespace: string,
  route: string,
  embedderId: string,
  maxMessages: number,
): SemanticQuery | null {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > maxMessages) return null;
  const last = messages[messages.length - 1]!;
  if (last.role !== 'user' || last.name !== undefined) return null;
  const text = userText(last);
  if (text === null || text.trim().length === 0) return null;
  const earlier = messages.slice(0, -1);
  const { messages: _m, ...params } = semanticBody(body);
  const scope = sha256Hex(
    canonicalJson({
      v: 1,
      ns: namespace,
      embedder: embedderId,
      route,
      params: sha256Hex(canonicalJson(params)),
      system: sha256Hex(canonicalJson(earlier.filter(isSystem))),
      context: sha256Hex(canonicalJson(earlier.filter((m) => !isSystem(m)))),
    }),
  );
  return { text, scope };
}
