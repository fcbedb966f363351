/**
 * Provider-layer throughput: (1) SSE parse + translate in-process (no network) for each provider
 * format, (2) full adapter streams over loopback against the fake providers (undici pool, SSE
 * parser, translator, usage tracking), (3) sequential JSON round trips through the adapter.
 * Run: node --import tsx bench/providers.ts
 */
import type { ChatChunk } from '../common/openai-types.js';
import type { ProviderType } from '../common/snapshot.js';
import { AnthropicStreamTranslator } from '../data-plane/providers/anthropic/stream.js';
import { GeminiStreamTranslator } from '../data-plane/providers/gemini/stream.js';
import { closePools, getProviderAdapter, warmUp } from '../data-plane/providers/index.js';
import { OpenAIStreamTranslator } from '../data-plane/providers/openai/stream.js';
import { SseParser } from '../data-plane/providers/shared/sse-parser.js';
import type { StreamTranslator } from '../data-plane/providers/shared/stream.js';
import { UsageTracker } from '../data-plane/providers/shared/usage.js';
import { anthropicModule } from '../test/fakes/anthropic.js';
import { geminiModule } from '../test/fakes/gemini.js';
import { startFakeAnthropic, startFakeGemini, startFakeOpenAI } from '../test/fakes/index.js';
import { openaiModule } from '../test/fakes/openai.js';
import type { ProviderModule } from '../test/fakes/server.js';
import { provider } from '../test/helpers/snapshot.js';

const PIECES = Array.from({ length: 200 }, (_, i) => ` word${i}`);
const req = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: true };

function body(mod: ProviderModule, path: string): Buffer {
  const r = mod.reply({ url: new URL(`http://x${path}`), body: { ...req, model: 'm' }, behavior: { chunks: PIECES } });
  if (r?.kind !== 'stream') throw new Error('no stream');
  return Buffer.from([...r.prelude, ...r.content, ...r.closing, ...r.end].join(''));
}

function translate(make: (t: UsageTracker) => StreamTranslator, bytes: Buffer, slice: number): number {
  const tracker = new UsageTracker(req, 'm');
  const tr = make(tracker);
  const p = new SseParser();
  const out: ChatChunk[] = [];
  let n = 0;
  for (let i = 0; i < bytes.length; i += slice) {
    for (const ev of p.push(bytes.subarray(i, i + slice))) {
      if (tr.done) continue;
      tr.onEvent(ev, out, n > 0);
      n += out.length;
      out.length = 0;
    }
  }
  if (!tr.done) tr.onEnd(out, true);
  return n + out.length;
}

function inProcess(): void {
  const cases: Array<[string, Buffer, (t: UsageTracker) => StreamTranslator]> = [
    ['openai', body(openaiModule, '/v1/chat/completions'), (t) => new OpenAIStreamTranslator('openai', req, t)],
    ['anthropic', body(anthropicModule, '/v1/messages'), (t) => new AnthropicStreamTranslator(req, 'm', null, t)],
    [
      'gemini',
      body(geminiModule, '/v1beta/models/m:streamGenerateContent'),
      (t) => new GeminiStreamTranslator(req, 'm', t),
    ],
  ];
  console.log('## In-process SSE parse + translate (200-piece streams, 1 KiB socket reads)');
  // Baseline on this machine right now: a bare JSON.parse of the same events (the floor).
  const events = new SseParser().push(cases[0][1]);
  const t = performance.now();
  let parsed = 0;
  for (let i = 0; i < 2_000; i++)
    for (const ev of events) if (ev.data !== '[DONE]') parsed += JSON.parse(ev.data) ? 1 : 0;
  console.log(
    `baseline   bare JSON.parse of the OpenAI events: ${(((performance.now() - t) * 1000) / parsed).toFixed(2)} µs/event`,
  );
  for (const [name, bytes, make] of cases) {
    for (let i = 0; i < 200; i++) translate(make, bytes, 1024); // warm-up
    const rounds = 2_000;
    const t0 = performance.now();
    let chunks = 0;
    for (let i = 0; i < rounds; i++) chunks += translate(make, bytes, 1024);
    const ms = performance.now() - t0;
    console.log(
      `${name.padEnd(10)} ${((chunks / ms) * 1000).toFixed(0).padStart(10)} chunks/s  ${((bytes.length * rounds) / 1e6 / (ms / 1000)).toFixed(0)} MB/s  ${((ms * 1000) / chunks).toFixed(2)} µs/chunk`,
    );
  }
}

async function loopback(): Promise<void> {
  const fakes = {
    openai: await startFakeOpenAI(),
    anthropic: await startFakeAnthropic(),
    gemini: await startFakeGemini(),
  };
  const providers = Object.entries(fakes).map(([type, f]) =>
    provider(type, f.url, { type: type as ProviderType, maxConnections: 32 }),
  );
  await warmUp(providers);
  const opts = () => ({
    signal: new AbortController().signal,
    timeouts: { connectMs: 1000, firstTokenMs: 5000, totalMs: 30000 },
    requestId: 'b',
  });
  console.log('\n## Loopback through the adapter (fake provider, 200-piece streams, 8 concurrent)');
  for (const p of providers) {
    const f = fakes[p.type as keyof typeof fakes];
    f.setBehavior({ chunks: PIECES });
    const adapter = getProviderAdapter(p.type);
    const run = async () => {
      const r = await adapter.chat(req, { provider: p, model: 'm' }, opts());
      if (r.type !== 'stream') throw new Error('expected stream');
      let n = 0;
      for await (const _ of r.stream) n++;
      return n;
    };
    for (let i = 0; i < 20; i++) await run();
    const t0 = performance.now();
    let chunks = 0;
    let streams = 0;
    while (performance.now() - t0 < 2_000) {
      const ns = await Promise.all(Array.from({ length: 8 }, run));
      chunks += ns.reduce((a, b) => a + b, 0);
      streams += 8;
    }
    const ms = performance.now() - t0;
    console.log(
      `${p.type.padEnd(10)} ${((streams / ms) * 1000).toFixed(0).padStart(6)} streams/s  ${((chunks / ms) * 1000).toFixed(0).padStart(8)} chunks/s (incl. the fake's own cost)`,
    );
    f.reset();
  }
  console.log('\n## Sequential JSON round trips (1 connection in flight)');
  for (const p of providers) {
    const adapter = getProviderAdapter(p.type);
    const json = { ...req, stream: false };
    for (let i = 0; i < 200; i++) await adapter.chat(json, { provider: p, model: 'm' }, opts());
    const n = 2_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await adapter.chat(json, { provider: p, model: 'm' }, opts());
    const ms = performance.now() - t0;
    console.log(`${p.type.padEnd(10)} ${((ms * 1000) / n).toFixed(0).padStart(6)} µs/request (incl. the fake)`);
  }
  await closePools();
  await Promise.all(Object.values(fakes).map((f) => f.close()));
}

inProcess();
await loopback();
