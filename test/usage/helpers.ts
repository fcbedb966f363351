/** Shared builders for usage tests: request contexts, stage deps, generated events. */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Snapshot } from '../../common/snapshot.js';
import type { DataPlaneConfig } from '../../data-plane/config.js';
import type { StageDeps } from '../../data-plane/pipeline/deps.js';
import { newMeta, type RequestContext } from '../../data-plane/pipeline/types.js';
import type { UsageEvent } from '../../data-plane/usage/event.js';
import { keyRecord, makeSnapshot, route, TEST_KEY } from '../helpers/snapshot.js';

export const silentLogger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sluice-${label}-`));
}

export function stageDeps(dataDir: string, over: Partial<DataPlaneConfig> = {}): StageDeps {
  return {
    config: {
      host: '127.0.0.1',
      port: 0,
      controlPlaneUrl: null,
      snapshotFile: null,
      dataDir,
      redisUrl: null,
      clickhouseUrl: null,
      qdrantUrl: null,
      replicaId: 'test-replica',
      logLevel: 'silent',
      ...over,
    },
    logger: silentLogger,
    snapshots: { current: () => null, onSwap: () => {} },
    providerGate: { tryAcquire: async () => true, settle: () => {} },
  };
}

export interface CtxOptions {
  id?: string;
  receivedAt?: number;
  snapshot?: Snapshot;
  stream?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  authenticated?: boolean;
}

/** A context as the server + auth stage would produce it for TEST_KEY on route gpt-test. */
export function makeCtx(o: CtxOptions = {}): RequestContext {
  const snapshot = o.snapshot ?? makeSnapshot();
  const key = o.authenticated === false ? null : keyRecord(TEST_KEY, { tags: { cost_center: 'cc-1' } });
  return {
    id: o.id ?? randomUUID(),
    receivedAt: o.receivedAt ?? Date.now(),
    snapshot,
    endpoint: 'chat',
    headers: o.headers ?? {},
    signal: o.signal ?? new AbortController().signal,
    presentedKeyHash: null,
    key,
    route: o.authenticated === false ? null : route('gpt-test', { tags: { feature: 'search' } }),
    body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: o.stream ?? false },
    stream: o.stream ?? false,
    responseHeaders: {},
    meta: newMeta(),
  };
}

/** Marks ctx as answered upstream by fake/gpt-4o-mini with the given usage. */
export function answered(ctx: RequestContext, prompt = 100, output = 20, cached = 0): void {
  ctx.meta.provider = 'fake';
  ctx.meta.upstreamModel = 'gpt-4o-mini';
  ctx.meta.attempts = 1;
  ctx.meta.cacheTier = 'miss';
  ctx.meta.usage = {
    promptTokens: prompt,
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: output,
    source: 'provider',
  };
}

/** A complete usage event with sensible defaults, for sink and query tests. */
export function makeEvent(over: Partial<UsageEvent> = {}): UsageEvent {
  return {
    request_id: randomUUID(),
    ts_ms: Date.now(),
    key: 'search-dev',
    team: 'search',
    org: 'acme',
    tags: {},
    route: 'gpt-test',
    endpoint: 'chat',
    provider: 'fake',
    model: 'gpt-4o-mini',
    prompt_tokens: 100,
    cached_tokens: 0,
    cache_write_tokens: 0,
    output_tokens: 20,
    usage_source: 'provider',
    cost_pico: 27_000_000,
    cost_micros: 27,
    priced: 1,
    price_effective_from: Date.UTC(2024, 0, 1),
    price_input_pico: 150_000,
    price_cached_pico: 75_000,
    price_cache_write_pico: 187_500,
    price_output_pico: 600_000,
    saved_pico: 0,
    latency_ms: 120,
    ttft_ms: 40,
    cache_tier: 'miss',
    status: 'ok',
    http_status: 200,
    attempts: 1,
    degraded: 0,
    error_code: '',
    queue_id: '',
    snapshot_version: 'v-test',
    replica: 'test-replica',
    ...over,
  };
}

/** Deterministic pseudo-random generator (tests must be reproducible). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TEAMS = ['search', 'ads', 'infra'] as const;
export const MODELS = [
  { provider: 'openai', model: 'gpt-4o', input: 2_500_000, output: 10_000_000, cached: 1_250_000 },
  { provider: 'anthropic', model: 'claude-sonnet', input: 3_000_000, output: 15_000_000, cached: 300_000 },
] as const;

/** `n` events spread over [from, from + spanMs), across 3 teams × 2 keys × 2 models, some cached/failed. */
export function generateEvents(n: number, from: number, spanMs: number, seed = 7): UsageEvent[] {
  const rnd = prng(seed);
  const out: UsageEvent[] = [];
  for (let i = 0; i < n; i++) {
    const team = TEAMS[Math.floor(rnd() * TEAMS.length)]!;
    const key = `${team}-${rnd() < 0.5 ? 'prod' : 'dev'}`;
    const m = MODELS[Math.floor(rnd() * MODELS.length)]!;
    const prompt = 1 + Math.floor(rnd() * 5000);
    const cached = rnd() < 0.3 ? Math.floor(prompt * rnd()) : 0;
    const output = Math.floor(rnd() * 1500);
    const hit = rnd() < 0.1;
    const failed = !hit && rnd() < 0.05;
    const pico = hit ? 0 : (prompt - cached) * m.input + cached * m.cached + output * m.output;
    const full = prompt * m.input + output * m.output;
    out.push(
      makeEvent({
        ts_ms: from + Math.floor(rnd() * spanMs),
        key,
        team,
        org: 'acme',
        tags: { env: key.endsWith('prod') ? 'prod' : 'dev' },
        provider: m.provider,
        model: m.model,
        prompt_tokens: prompt,
        cached_tokens: cached,
        output_tokens: output,
        cost_pico: pico,
        cost_micros: Math.ceil(pico / 1_000_000),
        price_input_pico: m.input,
        price_cached_pico: m.cached,
        price_output_pico: m.output,
        saved_pico: hit ? full : 0,
        cache_tier: hit ? 'hit-exact' : 'miss',
        status: hit ? 'cached' : failed ? 'error' : 'ok',
        http_status: failed ? 502 : 200,
        attempts: hit ? 0 : 1,
      }),
    );
  }
  return out;
}
