/**
 * onStreamEnd's sync fast path (nextSync): chunks the inner iterator already holds pass without a
 * promise, and the end is still reported exactly once — completed, failed or abandoned — whether
 * it was reached through nextSync() or next().
 */
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../common/openai-types.js';
import { type SyncPullIterator, syncPullOf } from '../../data-plane/pipeline/stream-chunks.js';
import { onStreamEnd, type StreamEnd } from '../../data-plane/usage/stream-end.js';

const chunk = (content: string): ChatChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

/** An iterator holding `items` (then ending or failing) that can hand them out synchronously. */
function source(items: ChatChunk[], failWith: Error | null = null): AsyncIterable<ChatChunk> {
  let i = 0;
  const step = (): IteratorResult<ChatChunk> => {
    if (i < items.length) return { done: false, value: items[i++] as ChatChunk };
    if (failWith) throw failWith;
    return { done: true, value: undefined };
  };
  const it: SyncPullIterator<ChatChunk> = {
    nextSync: step,
    next: () => {
      try {
        return Promise.resolve(step());
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
  return { [Symbol.asyncIterator]: () => it };
}

function wrap(src: AsyncIterable<ChatChunk>) {
  const ends: StreamEnd[] = [];
  let firsts = 0;
  const wrapped = onStreamEnd(
    src,
    new AbortController().signal,
    () => firsts++,
    (e) => ends.push(e),
  );
  const it = wrapped[Symbol.asyncIterator]();
  return { it, pull: syncPullOf(it), ends, firsts: () => firsts };
}

describe('onStreamEnd sync path', () => {
  it('passes buffered chunks synchronously and reports a clean end once', async () => {
    const w = wrap(source([chunk('a'), chunk('b')]));
    expect(w.pull).not.toBeNull();
    expect(w.pull?.()).toMatchObject({ done: false, value: { choices: [{ delta: { content: 'a' } }] } });
    expect(w.firsts()).toBe(1);
    expect(w.pull?.()).toMatchObject({ done: false });
    expect(w.ends).toHaveLength(0);
    expect(w.pull?.()).toEqual({ done: true, value: undefined });
    expect(w.ends).toEqual([{ error: null, abandoned: false }]);
    await w.it.return?.();
    expect(w.ends).toHaveLength(1);
    expect(w.firsts()).toBe(1);
  });

  it('reports a failure thrown on the sync path, and rethrows it', () => {
    const boom = new Error('mid-stream');
    const w = wrap(source([chunk('a')], boom));
    w.pull?.();
    expect(() => w.pull?.()).toThrow(boom);
    expect(w.ends).toEqual([{ error: boom, abandoned: false }]);
  });

  it('mixes with next(): the end reached through next() is reported once too', async () => {
    const w = wrap(source([chunk('a'), chunk('b')]));
    w.pull?.();
    expect((await w.it.next()).done).toBe(false);
    expect((await w.it.next()).done).toBe(true);
    expect(w.ends).toEqual([{ error: null, abandoned: false }]);
  });

  it('has no sync path over an iterator without one', () => {
    const gen = (async function* () {
      yield chunk('a');
    })();
    const w = wrap(gen);
    expect(w.pull?.()).toBeUndefined();
  });
});
