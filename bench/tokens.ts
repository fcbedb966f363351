/**
 * Token counting speed: tokens/second and cost per typical prompt, for both encodings.
 *   node --import tsx bench/tokens.ts
 */
import type { ChatMessage } from '../common/openai-types.js';
import { countChatTokens, countTextTokens, warmTokenizers } from '../common/tokens.js';

const WORDS =
  'the gateway reserves tokens and dollars before calling a provider then reconciles the actual usage after the answer ' +
  'streams budgets per team and org with periods in their own timezone rate limits per minute and per day retries ' +
  'fallbacks circuit breakers caching semantic similarity thresholds 2024 2025 $12.50 JSON {"a":1} café naïve 東京';
const words = WORDS.split(' ');

/** Deterministic pseudo-random text of about `chars` characters (varied, so memoization is realistic). */
function text(chars: number, seed: number): string {
  let s = '';
  let x = seed;
  while (s.length < chars) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += `${words[x % words.length]}${x % 17 === 0 ? '.\n' : ' '}`;
  }
  return s.slice(0, chars);
}

/** Inputs are built before timing; each call gets a distinct input (no whole-text cache hits). */
function bench<T>(label: string, make: (i: number) => T, fn: (input: T) => number, iterations: number): void {
  const warm = Array.from({ length: Math.min(300, iterations) }, (_, i) => make(-1 - i));
  for (const w of warm) fn(w); // JIT and piece memo warm-up
  const inputs = Array.from({ length: iterations }, (_, i) => make(i));
  let tokens = 0;
  const t = performance.now();
  for (const input of inputs) tokens += fn(input);
  const ms = performance.now() - t;
  const perCall = (ms * 1000) / iterations;
  const tps = Math.round(tokens / (ms / 1000));
  console.log(
    `${label.padEnd(46)} ${perCall.toFixed(1).padStart(8)} µs/call ${tps.toLocaleString('en-US').padStart(12)} tokens/s`,
  );
}

const t0 = performance.now();
warmTokenizers();
console.log(`encoders built (o200k_base + cl100k_base): ${(performance.now() - t0).toFixed(0)} ms, once per process\n`);

const system = 'You are a helpful assistant for the search team. Answer briefly and cite sources.';
for (const model of ['gpt-4o-mini', 'gpt-4', 'claude-3-5-sonnet']) {
  // A typical chat prompt: system + 3 turns + a new ~1,500-char user message (unique each call).
  bench(
    `${model}: chat prompt (~2 KB, 4 msgs)`,
    (i): ChatMessage[] => [
      { role: 'system', content: system },
      { role: 'user', content: text(200, 1) },
      { role: 'assistant', content: text(300, 2) },
      { role: 'user', content: `${i} ${text(1500, i + 10)}` },
    ],
    (messages) => countChatTokens(model, messages),
    2000,
  );
}
const plain = (chars: number) => (i: number) => `${i} ${text(chars, i)}`;
bench('gpt-4o: 200-char text', plain(200), (s) => countTextTokens('gpt-4o', s), 5000);
bench('gpt-4o: 10 KB text', plain(10_000), (s) => countTextTokens('gpt-4o', s), 300);
bench('gpt-4o: 60 KB text (exact path)', plain(60_000), (s) => countTextTokens('gpt-4o', s), 40);
bench('gpt-4o: 1 MB text (sampled estimate)', plain(1_000_000), (s) => countTextTokens('gpt-4o', s), 10);
