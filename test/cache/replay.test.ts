import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../common/openai-types.js';
import { isCacheableResponse, StreamAssembler } from '../../data-plane/cache/assemble.js';
import { requestControls } from '../../data-plane/cache/controls.js';
import { replayAsChunks } from '../../data-plane/cache/replay.js';

const response: ChatResponse = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  system_fingerprint: 'fp_1',
  choices: [
    { index: 0, message: { role: 'assistant', content: `${'long text '.repeat(60)}end` }, finish_reason: 'length' },
    {
      index: 1,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
          { id: 'c2', type: 'function', function: { name: 'b', arguments: '{}' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
};

describe('replay and assembly', () => {
  it('replays n choices, slices long content, and reassembles to the same completion', () => {
    const chunks = replayAsChunks(response, { id: 'x', created: 2, includeUsage: true });
    expect(chunks.filter((c) => c.choices[0]?.index === 0 && c.choices[0].delta.content).length).toBeGreaterThan(2);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual(response.usage);
    const asm = new StreamAssembler();
    for (const c of chunks) asm.push(c);
    expect(asm.complete()).toBe(true);
    expect(asm.response(null)).toEqual({ ...response, id: 'x', created: 2 });
  });

  it('is incomplete without a finish reason or with content_filter', () => {
    const chunks = replayAsChunks(response, { id: 'x', created: 2, includeUsage: false });
    const asm = new StreamAssembler();
    for (const c of chunks.slice(0, -2)) asm.push(c);
    expect(asm.complete()).toBe(false);
    expect(
      isCacheableResponse({ ...response, choices: [{ ...response.choices[0]!, finish_reason: 'content_filter' }] }),
    ).toBe(false);
    expect(isCacheableResponse({ ...response, choices: [] })).toBe(false);
  });

  it('parses cache controls', () => {
    expect(requestControls({})).toEqual({ read: true, write: true, semantic: true });
    expect(requestControls({ 'x-sluice-cache': 'no-cache' })).toEqual({ read: false, write: true, semantic: true });
    expect(requestControls({ 'x-sluice-cache': 'no-store' })).toEqual({ read: false, write: false, semantic: true });
    expect(requestControls({ 'x-sluice-cache': 'no-semantic' })).toEqual({ read: true, write: true, semantic: false });
    expect(requestControls({ 'cache-control': 'max-age=0, No-Store' })).toMatchObject({ read: false, write: false });
  });
});
