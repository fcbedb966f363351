import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../data-plane/providers/shared/sse-parser.js';

const feed = (parts: Array<string | Buffer>) => {
  const p = new SseParser();
  const out = parts.flatMap((x) => p.push(typeof x === 'string' ? Buffer.from(x) : x));
  return [...out, ...p.end()];
};

describe('SseParser', () => {
  it('parses events with event names, LF and CRLF', () => {
    expect(feed(['event: ping\ndata: {"a":1}\n\n', 'data: x\r\n\r\n'])).toEqual([
      { event: 'ping', data: '{"a":1}' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('handles events split at every byte', () => {
    const text = 'event: content_block_delta\ndata: {"t":"héllo ✓"}\n\ndata: [DONE]\n\n';
    const bytes = Buffer.from(text);
    const parts = Array.from(bytes, (b) => Buffer.from([b]));
    expect(feed(parts)).toEqual([
      { event: 'content_block_delta', data: '{"t":"héllo ✓"}' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('joins multi-line data, ignores comments and fields without data', () => {
    expect(feed([': keep-alive\n\ndata: a\ndata: b\nid: 3\nretry: 10\n\nevent: lonely\n\n'])).toEqual([
      { event: 'message', data: 'a\nb' },
    ]);
  });

  it('accepts "data:" without a space and flushes a final event without a blank line', () => {
    expect(feed(['data:{"x":1}\n\ndata: tail'])).toEqual([
      { event: 'message', data: '{"x":1}' },
      { event: 'message', data: 'tail' },
    ]);
  });

  it('many events in one chunk', () => {
    const chunk = Array.from({ length: 100 }, (_, i) => `data: ${i}\n\n`).join('');
    expect(feed([chunk]).map((e) => e.data)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });
});
