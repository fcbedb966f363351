import { describe, expect, it } from 'vitest';
import { assembleCompletion } from '../../../data-plane/queue/assemble.js';
import { preferWaitMs } from '../../../data-plane/queue/prefer.js';
import { backoffDelayMs, seededRng } from '../../../data-plane/routing/backoff.js';
import { CircuitBreaker, type CircuitStateName } from '../../../data-plane/routing/circuit-breaker.js';
import { pickWeighted } from '../../../data-plane/routing/weighted.js';
import { chunk } from './fake-adapter.js';

describe('backoff with full jitter', () => {
  it('stays under min(max, base·2^n) and spreads over the whole range', () => {
    const rng = seededRng(1);
    for (let n = 0; n < 6; n++) {
      const ceiling = Math.min(1_000, 50 * 2 ** n);
      const draws = Array.from({ length: 2_000 }, () => backoffDelayMs(n, 50, 1_000, rng));
      expect(Math.max(...draws)).toBeLessThan(ceiling);
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeGreaterThan(ceiling * 0.9);
      expect(Math.min(...draws)).toBeLessThan(ceiling * 0.1);
    }
  });
  it('takes Retry-After when it is larger than the jittered delay', () => {
    expect(backoffDelayMs(0, 10, 100, () => 0.5, 2_000)).toBe(2_000);
    expect(backoffDelayMs(3, 1_000, 1_000, () => 0.99, 5)).toBe(990);
  });
});

describe('weighted pick', () => {
  it('returns null without positive weights and respects weights', () => {
    expect(pickWeighted([{ weight: 0 }], Math.random)).toBeNull();
    const items = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 0 },
      { id: 'c', weight: 9 },
    ];
    const rng = seededRng(9);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) counts[(pickWeighted(items, rng) as { id: string }).id]++;
    expect(counts.b).toBe(0);
    expect(counts.a / 10_000).toBeGreaterThan(0.08);
    expect(counts.a / 10_000).toBeLessThan(0.12);
  });
});

describe('circuit breaker', () => {
  const cfg = { failureThreshold: 3, cooldownMs: 1_000, halfOpenProbes: 2 };
  it('walks closed → open → half-open → closed and reports transitions', () => {
    const seen: CircuitStateName[] = [];
    const b = new CircuitBreaker('p', 'm', (br) => seen.push(br.state));
    b.failure(0, cfg, false);
    b.failure(1, cfg, false);
    b.success(false); // a success resets the consecutive count
    b.failure(2, cfg, false);
    b.failure(3, cfg, false);
    expect(b.state).toBe('closed');
    b.failure(4, cfg, false);
    expect(b.state).toBe('open');
    expect(b.available(500, cfg)).toBe(false);
    expect(b.recoveryAt(cfg)).toBe(1_004);
    expect(b.available(1_004, cfg)).toBe(true);
    expect(b.state).toBe('half_open');
    const p1 = b.begin(1_004, cfg);
    const p2 = b.begin(1_004, cfg);
    expect([p1, p2]).toEqual([true, true]);
    expect(b.available(1_005, cfg)).toBe(false); // both probe slots taken
    b.neutral(p1);
    expect(b.available(1_005, cfg)).toBe(true);
    b.success(p2);
    expect(b.state).toBe('closed');
    expect(seen).toEqual(['open', 'half_open', 'closed']);
  });
  it('a failed probe re-opens for another cool-down; threshold 0 never opens', () => {
    const b = new CircuitBreaker('p', 'm', () => {});
    for (let i = 0; i < 3; i++) b.failure(0, cfg, false);
    b.available(1_000, cfg);
    b.failure(1_000, cfg, b.begin(1_000, cfg));
    expect(b.state).toBe('open');
    expect(b.recoveryAt(cfg)).toBe(2_000);
    const never = new CircuitBreaker('p', 'm', () => {});
    for (let i = 0; i < 100; i++) never.failure(i, { ...cfg, failureThreshold: 0 }, false);
    expect(never.state).toBe('closed');
  });
});

describe('queue helpers', () => {
  it('parses Prefer: wait', () => {
    expect(preferWaitMs(undefined)).toBe(0);
    expect(preferWaitMs('wait=5')).toBe(5_000);
    expect(preferWaitMs('respond-async, wait=2.5')).toBe(2_500);
    expect(preferWaitMs('return=minimal')).toBe(0);
    expect(preferWaitMs('wait=100000')).toBe(300_000);
  });
  it('assembles a streamed answer with tool calls into a chat.completion', async () => {
    async function* chunks() {
      yield chunk('m', '');
      yield {
        ...chunk('m', ''),
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: 0, id: 'c1', type: 'function' as const, function: { name: 'get', arguments: '{"a"' } },
              ],
            },
            finish_reason: null,
          },
        ],
      };
      yield {
        ...chunk('m', ''),
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] },
            finish_reason: 'tool_calls' as const,
          },
        ],
      };
      yield { ...chunk('m', ''), choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };
    }
    const r = await assembleCompletion(chunks());
    expect(r.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', function: { name: 'get', arguments: '{"a":1}' } }],
      },
    });
    expect(r.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });
});
