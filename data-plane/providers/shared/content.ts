/** Small helpers for translating OpenAI message content into other providers' shapes. */
import type { ChatMessage, ChatRequest, ContentPart } from '../../../common/openai-types.js';
import { ProviderError } from '../types.js';

/** The text of a message's content (text parts joined; other parts ignored). */
export function textOf(content: ChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  let s = '';
  for (const p of content) {
    if (p.type === 'text' && typeof (p as { text?: unknown }).text === 'string') {
      s += s ? `\n${(p as { text: string }).text}` : (p as { text: string }).text;
    }
  }
  return s;
}

export function partsOf(content: ChatMessage['content']): ContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content;
}

/** "data:image/png;base64,AAAA" → { mediaType, data }; null for other URLs. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma === -1) return null;
  const meta = url.slice(5, comma);
  if (!meta.endsWith(';base64')) return null;
  return { mediaType: meta.slice(0, -7) || 'application/octet-stream', data: url.slice(comma + 1) };
}

export function badRequest(message: string): ProviderError {
  return new ProviderError('bad_request', message, null);
}

/** max_completion_tokens (current OpenAI name) wins over the legacy max_tokens. */
export function maxTokensOf(req: ChatRequest): number | null {
  const v = req.max_completion_tokens ?? req.max_tokens;
  return typeof v === 'number' && v > 0 ? v : null;
}

export function stopList(stop: ChatRequest['stop']): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  const list = Array.isArray(stop) ? stop : [stop];
  return list.length > 0 ? list : undefined;
}

/** Arguments of an OpenAI tool call as an object (providers other than OpenAI want objects). */
export function parseToolArguments(args: string, name: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const v = JSON.parse(args) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw badRequest(`tool call ${name}: arguments must be a JSON object`);
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
