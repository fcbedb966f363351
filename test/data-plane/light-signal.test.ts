/** ctx.signal is a LightSignal: the AbortSignal surface stages, adapters and Node's duck-typed APIs use. */
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LightSignal, toAbortSignal } from '../../data-plane/light-signal.js';

describe('LightSignal', () => {
  it('calls each abort listener once, in order, with the reason set; removed ones are not called', () => {
    const s = new LightSignal();
    const signal = s as unknown as AbortSignal;
    const calls: string[] = [];
    const a = () => calls.push(`a:${String((signal.reason as Error).message)}`);
    const b = () => calls.push('b');
    const c = { handleEvent: (ev: Event) => calls.push(`c:${ev.type}`) };
    signal.addEventListener('abort', a, { once: true });
    signal.addEventListener('abort', a); // a duplicate is ignored, as by EventTarget
    signal.addEventListener('abort', b);
    signal.addEventListener('abort', c);
    signal.onabort = () => calls.push('onabort');
    signal.removeEventListener('abort', b);
    expect(signal.aborted).toBe(false);
    expect(() => signal.throwIfAborted()).not.toThrow();
    s.abort(new Error('client disconnected'));
    s.abort(new Error('again')); // only the first abort counts
    expect(calls).toEqual(['onabort', 'a:client disconnected', 'c:abort']);
    expect(signal.aborted).toBe(true);
    expect(() => signal.throwIfAborted()).toThrow('client disconnected');
    signal.addEventListener('abort', b); // after the abort: never called
    expect(calls).toHaveLength(3);
  });

  it('a throwing listener does not stop the others and is reported as an uncaught exception', async () => {
    const s = new LightSignal();
    const seen: unknown[] = [];
    const onUncaught = (err: unknown) => seen.push(err);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      let second = false;
      s.addEventListener('abort', () => {
        throw new Error('listener bug');
      });
      s.addEventListener('abort', () => {
        second = true;
      });
      s.abort(new Error('gone'));
      expect(second).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(seen).toHaveLength(1);
      expect((seen[0] as Error).message).toBe('listener bug');
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });

  it("is accepted by Node's duck-typed signal options (events.once, timers/promises)", async () => {
    const s = new LightSignal();
    const signal = s as unknown as AbortSignal;
    const waiting = once(new EventEmitter(), 'never', { signal });
    const sleeping = sleep(60_000, null, { signal });
    s.abort(new Error('client disconnected'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('toAbortSignal gives a branded AbortSignal that follows it (for AbortSignal.any, fetch)', () => {
    const s = new LightSignal();
    const real = toAbortSignal(s as unknown as AbortSignal);
    expect(real).toBeInstanceOf(AbortSignal);
    const any = AbortSignal.any([real]);
    s.abort(new Error('bye'));
    expect(real.aborted).toBe(true);
    expect(any.aborted).toBe(true);
    expect((any.reason as Error).message).toBe('bye');
    const already = new LightSignal();
    already.abort(new Error('early'));
    expect(toAbortSignal(already as unknown as AbortSignal).aborted).toBe(true);
    const plain = new AbortController().signal;
    expect(toAbortSignal(plain)).toBe(plain);
  });
});
