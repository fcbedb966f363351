import { describe, expect, it } from 'vitest';
import { formatPico, picoToMicrosCeil } from '../../common/money.js';
import type { PriceEntry } from '../../common/snapshot.js';
import type { NormalizedUsage } from '../../common/usage.js';
import { costPico, priceAt } from '../../data-plane/cost/price.js';
import { requestCost } from '../../data-plane/cost/request-cost.js';
import { cacheSavedPico } from '../../data-plane/cost/saved.js';
import { normalizeAnthropicUsage } from '../../data-plane/providers/anthropic/response.js';
import { normalizeGeminiUsage } from '../../data-plane/providers/gemini/response.js';
import { fromOpenAIUsage } from '../../data-plane/providers/shared/usage.js';
import { makeSnapshot } from '../helpers/snapshot.js';
import { makeCtx, prng } from '../usage/helpers.js';

// USD per 1M tokens × 1e6 = pico-dollars per token.
const GPT4O: PriceEntry = {
  effectiveFrom: 0,
  inputPico: 2_500_000,
  cachedInputPico: 1_250_000,
  cacheWritePico: 0,
  outputPico: 10_000_000,
};
const SONNET: PriceEntry = {
  effectiveFrom: 0,
  inputPico: 3_000_000,
  cachedInputPico: 300_000,
  cacheWritePico: 3_750_000,
  outputPico: 15_000_000,
};
const FLASH: PriceEntry = {
  effectiveFrom: 0,
  inputPico: 300_000,
  cachedInputPico: 75_000,
  cacheWritePico: 0,
  outputPico: 2_500_000,
};

describe('cost per provider usage shape', () => {
  it('OpenAI: prompt_tokens include cached_tokens, which are billed at the cached rate', () => {
    const usage = fromOpenAIUsage({
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920 },
    });
    expect(usage).toMatchObject({ promptTokens: 2006, cachedInputTokens: 1920, cacheWriteTokens: 0 });
    // 86 × $2.50 + 1920 × $1.25 + 300 × $10.00 per 1M = $0.005615
    const pico = costPico(GPT4O, usage);
    expect(pico).toBe(86 * 2_500_000 + 1920 * 1_250_000 + 300 * 10_000_000);
    expect(formatPico(pico)).toBe('0.005615');
    expect(picoToMicrosCeil(pico)).toBe(5615);
  });

  it('Anthropic: input_tokens exclude cache reads and cache writes, each billed at its own rate', () => {
    const usage = normalizeAnthropicUsage({
      input_tokens: 100,
      cache_read_input_tokens: 8000,
      cache_creation_input_tokens: 3000,
      output_tokens: 500,
    });
    expect(usage).toMatchObject({ promptTokens: 11_100, cachedInputTokens: 8000, cacheWriteTokens: 3000 });
    // 100 × $3 + 8000 × $0.30 + 3000 × $3.75 + 500 × $15 per 1M = $0.02145
    expect(formatPico(costPico(SONNET, usage))).toBe('0.02145');
  });

  it('Gemini: cachedContentTokenCount is part of promptTokenCount; thoughts count as output', () => {
    const usage = normalizeGeminiUsage({
      promptTokenCount: 4000,
      cachedContentTokenCount: 3000,
      candidatesTokenCount: 200,
      thoughtsTokenCount: 56,
      totalTokenCount: 4256,
    });
    expect(usage).toMatchObject({ promptTokens: 4000, cachedInputTokens: 3000, outputTokens: 256 });
    // 1000 × $0.30 + 3000 × $0.075 + 256 × $2.50 per 1M = $0.001165
    expect(formatPico(costPico(FLASH, usage))).toBe('0.001165');
  });

  it('a cached-token discount is exactly cached × (input rate − cached rate)', () => {
    const base: NormalizedUsage = {
      promptTokens: 5000,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 100,
      source: 'provider',
    };
    for (const price of [GPT4O, SONNET, FLASH]) {
      const full = costPico(price, base);
      const cached = costPico(price, { ...base, cachedInputTokens: 4096 });
      expect(full - cached).toBe(4096 * (price.inputPico - price.cachedInputPico));
    }
  });
});

describe('dated prices', () => {
  // Price cut effective at a midnight, and another in the middle of the next day (12:00 UTC).
  const MIDNIGHT = Date.UTC(2025, 2, 10);
  const NOON = Date.UTC(2025, 2, 11, 12);
  const pricing = {
    'fake/gpt-4o-mini': [
      {
        effectiveFrom: Date.UTC(2024, 0, 1),
        inputPico: 150_000,
        outputPico: 600_000,
        cachedInputPico: 75_000,
        cacheWritePico: 0,
      },
      { effectiveFrom: MIDNIGHT, inputPico: 100_000, outputPico: 400_000, cachedInputPico: 50_000, cacheWritePico: 0 },
      { effectiveFrom: NOON, inputPico: 80_000, outputPico: 320_000, cachedInputPico: 40_000, cacheWritePico: 0 },
    ],
  };
  const snapshot = makeSnapshot({ pricing });

  it('the entry effective at the request time applies (inclusive boundary)', () => {
    expect(priceAt(snapshot, 'fake', 'gpt-4o-mini', MIDNIGHT - 1)?.inputPico).toBe(150_000);
    expect(priceAt(snapshot, 'fake', 'gpt-4o-mini', MIDNIGHT)?.inputPico).toBe(100_000);
    expect(priceAt(snapshot, 'fake', 'gpt-4o-mini', NOON - 1)?.inputPico).toBe(100_000);
    expect(priceAt(snapshot, 'fake', 'gpt-4o-mini', NOON)?.inputPico).toBe(80_000);
    expect(priceAt(snapshot, 'fake', 'gpt-4o-mini', Date.UTC(2023, 0, 1))).toBeNull();
    expect(priceAt(snapshot, 'fake', 'other', NOON)).toBeNull();
  });

  it('requests on either side of a mid-day change are priced differently, also when priced later', () => {
    const cost = (receivedAt: number) => {
      const ctx = makeCtx({ receivedAt, snapshot });
      ctx.meta.provider = 'fake';
      ctx.meta.upstreamModel = 'gpt-4o-mini';
      ctx.meta.cacheTier = 'miss';
      ctx.meta.usage = {
        promptTokens: 1000,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 1000,
        source: 'provider',
      };
      return requestCost(ctx);
    };
    // A request that arrived a millisecond before noon keeps the morning price even though the
    // snapshot (compiled after the change) already holds the noon entry — history is re-priced right.
    expect(cost(NOON - 1)).toMatchObject({ pico: 500_000_000, micros: 500, price: { effectiveFrom: MIDNIGHT } });
    expect(cost(NOON)).toMatchObject({ pico: 400_000_000, micros: 400, price: { effectiveFrom: NOON } });
    expect(cost(MIDNIGHT - 1)).toMatchObject({ pico: 750_000_000, price: { inputPico: 150_000 } });
  });

  it('cache hits cost 0 and save what the call would have cost at the price of their time', () => {
    const ctx = makeCtx({ receivedAt: NOON + 5, snapshot });
    ctx.meta.provider = 'fake';
    ctx.meta.upstreamModel = 'gpt-4o-mini';
    ctx.meta.cacheTier = 'hit-exact';
    ctx.meta.usage = {
      promptTokens: 1000,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 1000,
      source: 'provider',
    };
    expect(requestCost(ctx)).toMatchObject({ pico: 0, micros: 0 });
    expect(cacheSavedPico(ctx)).toBe(400_000_000);
  });
});

describe('exactness', () => {
  it('100 000 event costs sum exactly as integers', () => {
    const rnd = prng(42);
    let pico = 0n;
    let micros = 0;
    for (let i = 0; i < 100_000; i++) {
      const usage: NormalizedUsage = {
        promptTokens: 1 + Math.floor(rnd() * 8000),
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: Math.floor(rnd() * 2000),
        source: 'provider',
      };
      usage.cachedInputTokens = Math.floor(usage.promptTokens * rnd() * 0.5);
      const p = costPico(SONNET, usage);
      if (!Number.isSafeInteger(p)) throw new Error(`unsafe cost ${p}`);
      pico += BigInt(p);
      micros += picoToMicrosCeil(p);
    }
    // The exact sum, recomputed independently in BigInt per token class, matches to the pico.
    const rnd2 = prng(42);
    let check = 0n;
    for (let i = 0; i < 100_000; i++) {
      const prompt = BigInt(1 + Math.floor(rnd2() * 8000));
      const output = BigInt(Math.floor(rnd2() * 2000));
      const cached = BigInt(Math.floor(Number(prompt) * rnd2() * 0.5));
      check += (prompt - cached) * 3_000_000n + cached * 300_000n + output * 15_000_000n;
    }
    expect(pico).toBe(check);
    // Rounding up per event never under-charges, and over-charges by < 1 µ$ per event.
    expect(BigInt(micros) * 1_000_000n >= pico).toBe(true);
    expect(BigInt(micros) * 1_000_000n - pico < 100_000n * 1_000_000n).toBe(true);
  });
});
