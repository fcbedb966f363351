/** AttemptScope: one timer for both safety-net deadlines, re-armed for the total after the first token. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../../data-plane/errors.js';
import { LightSignal } from '../../../data-plane/light-signal.js';
import { ProviderError } from '../../../data-plane/providers/types.js';
import { AttemptScope, SAFETY_GRACE_MS } from '../../../data-plane/routing/attempt-scope.js';

const never = () => new Promise<never>(() => {});

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('AttemptScope deadlines', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times out on the first token, with a single timer for both deadlines', async () => {
    vi.useFakeTimers();
    const scope = new AttemptScope(
      new AbortController().signal,
      { connectMs: 1, firstTokenMs: 100, totalMs: 1_000 },
      true,
    );
    expect(vi.getTimerCount()).toBe(1);
    const failed = failureOf(scope.race(never()));
    await vi.advanceTimersByTimeAsync(100 + SAFETY_GRACE_MS);
    const err = await failed;
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('timeout');
    expect((err as ProviderError).message).toMatch(/first token timeout after 100 ms/);
    scope.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after the first token only the total deadline remains, measured from the start', async () => {
    vi.useFakeTimers();
    const scope = new AttemptScope(
      new AbortController().signal,
      { connectMs: 1, firstTokenMs: 100, totalMs: 1_000 },
      true,
    );
    await vi.advanceTimersByTimeAsync(50);
    scope.stopFirstTokenClock();
    expect(vi.getTimerCount()).toBe(1);
    const failed = failureOf(scope.race(never()));
    let settled = false;
    void failed.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(1_000 + SAFETY_GRACE_MS - 51);
    expect(settled).toBe(false); // the first-token deadline (125 ms) no longer applies
    await vi.advanceTimersByTimeAsync(1);
    const err = (await failed) as ProviderError;
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/total timeout after 1000 ms/);
    scope.dispose();
  });

  it('total shorter than first token: the total fires first', async () => {
    vi.useFakeTimers();
    const scope = new AttemptScope(
      new AbortController().signal,
      { connectMs: 1, firstTokenMs: 500, totalMs: 100 },
      true,
    );
    const failed = failureOf(scope.race(never()));
    await vi.advanceTimersByTimeAsync(100 + SAFETY_GRACE_MS);
    expect(((await failed) as ProviderError).message).toMatch(/total timeout/);
    scope.dispose();
  });

  it('dispose clears the timer and the abort listener; a client abort interrupts a race', async () => {
    vi.useFakeTimers();
    const client = new LightSignal();
    const signal = client as unknown as AbortSignal;
    const idle = new AttemptScope(signal, { connectMs: 1, firstTokenMs: 100, totalMs: 1_000 }, true);
    idle.dispose();
    expect(vi.getTimerCount()).toBe(0);
    const scope = new AttemptScope(signal, { connectMs: 1, firstTokenMs: 0, totalMs: 0 }, true);
    expect(vi.getTimerCount()).toBe(0); // no deadlines configured: no timer at all
    const failed = failureOf(scope.race(never()));
    client.abort(new Error('client disconnected'));
    const err = await failed;
    expect(err).toBeInstanceOf(GatewayError);
    expect(scope.clientGone).toBe(true);
    scope.dispose();
  });
});
