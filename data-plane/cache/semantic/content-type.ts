/**
 * Content type of a cached answer, for TTL by content type (policy `ttlMsByContentType`):
 * - "code": the answer contains a fenced code block, or the prompt asks about code;
 * - "news": the prompt asks about something time-sensitive (news, prices, weather, scores, "latest");
 * - "default": everything else.
 * A policy without a TTL for the detected type uses its "default" TTL.
 */
export type ContentType = 'code' | 'news' | 'default';

const CODE_PROMPT =
  /\b(code|function|class|method|regex|regexp|sql|query|python|javascript|typescript|java|rust|golang|c\+\+|bash|shell|script|compile|compiler|stack ?trace|exception|bug|debug|api|json|yaml|html|css)\b/i;
const NEWS_PROMPT =
  /\b(news|latest|today|tonight|yesterday|tomorrow|this (week|month|year)|current(ly)?|right now|price|prices|stock|stocks|shares|exchange rate|weather|forecast|score|scores|election|breaking|trending)\b/i;

export function classifyContent(prompt: string, answer: string): ContentType {
  if (/```/.test(answer) || CODE_PROMPT.test(prompt)) return 'code';
  if (NEWS_PROMPT.test(prompt)) return 'news';
  return 'default';
}

export function ttlForContent(ttlMsByContentType: Record<string, number>, type: ContentType): number {
  return ttlMsByContentType[type] ?? ttlMsByContentType.default ?? 0;
}
