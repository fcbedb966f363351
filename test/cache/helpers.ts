/** Shared pieces of the cache tests: policies, a stage harness with a scripted `next`, contexts. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../common/openai-types.js';
import type { CachePolicyRecord, KeyRecord, Snapshot } from '../../common/snapshot.js';
import type { CacheOptions } from '../../data-plane/cache/options.js';
import type { DataPlaneConfig } from '../../data-plane/config.js';
import type { StageDeps } from '../../data-plane/pipeline/deps.js';
import { newMeta, type Outcome, type RequestContext } from '../../data-plane/pipeline/types.js';
import { type CacheStage, createCacheStage } from '../../data-plane/stages/cache.js';
import { keyRecord, makeSnapshot, node, route } from '../helpers/snapshot.js';

/**
 * The offline embedder's converted vector file is shared by every cache test run (converting the
 * 300 MB wink JSON takes ~10 s); a fixed folder under the OS temp dir, written atomically.
 */
export const SHARED_EMBEDDINGS_DIR = process.env.SLUICE_EMBEDDINGS_DIR ?? join(tmpdir(), 'sluice-test-embeddings');

export function cachePolicy(over: Partial<CachePolicyRecord> & { threshold?: number } = {}): CachePolicyRecord {
  const { threshold, ...rest } = over;
  return {
    id: 'default',
    scope: 'team',
    exact: { enabled: true, ttlMs: 60_000 },
    semantic: {
      enabled: true,
      threshold: threshold ?? 0.93,
      embedder: { type: 'offline' },
      ttlMsByContentType: { default: 60_000, code: 120_000, news: 5_000 },
      maxMessages: 5,
    },
    ...rest,
  };
}

export const KEY_A = 'sk-team-a-0000000000000000';
export const KEY_A2 = 'sk-team-a-1111111111111111';
export const KEY_B = 'sk-team-b-0000000000000000';

export function cacheSnapshot(policy: CachePolicyRecord, baseUrl = 'http://127.0.0.1:9'): Snapshot {
  return makeSnapshot({
    baseUrl,
    nodes: [
      node('org:acme'),
      node('team:alpha', { parent: 'org:acme' }),
      node('team:beta', { parent: 'org:acme' }),
      node('key:a1', { parent: 'team:alpha' }),
      node('key:a2', { parent: 'team:alpha' }),
      node('key:b1', { parent: 'team:beta' }),
    ],
    keys: [
      keyRecord(KEY_A, { name: 'a1', team: 'alpha', cachePolicy: policy.id }),
      keyRecord(KEY_A2, { name: 'a2', team: 'alpha', cachePolicy: policy.id }),
      keyRecord(KEY_B, { name: 'b1', team: 'beta', cachePolicy: policy.id }),
    ],
    routes: [
      route('gpt-test'),
      route('gpt-other'),
      route('embed-test', {
        kind: 'embeddings',
        targets: [{ provider: 'fake', model: 'text-embedding-3-small', weight: 1, contextWindow: 8192 }],
      }),
    ],
    cachePolicies: { [policy.id]: policy },
  });
}

export function testConfig(over: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    controlPlaneUrl: null,
    snapshotFile: null,
    dataDir: tmpdir(),
    redisUrl: null,
    clickhouseUrl: null,
    qdrantUrl: null,
    replicaId: 'cache-test',
    logLevel: 'silent',
    ...over,
  };
}

export class Clock {
  t = Date.UTC(2025, 5, 1);
  now = () => this.t;
}

export interface Harness {
  stage: CacheStage;
  snapshot: Snapshot;
  clock: Clock;
  /** Upstream calls made (i.e. cache misses that reached next()). */
  calls: ChatRequest[];
  /** What the scripted upstream answers (default: a text reply echoing the last user turn). */
  reply: (req: ChatRequest) => ChatResponse;
  /** Runs one request through the stage; returns the outcome and the context. */
  run(
    body: Partial<ChatRequest> & { messages: ChatRequest['messages'] },
    opts?: { key?: string; headers?: Record<string, string>; stream?: boolean },
  ): Promise<{ outcome: Outcome; ctx: RequestContext }>;
  /** Waits for fire-and-forget cache writes. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export function textResponse(text: string, model = 'gpt-4o-mini'): ChatResponse {
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  };
}

let seq = 0;

export async function stageHarness(
  policy: CachePolicyRecord,
  opts: { config?: Partial<DataPlaneConfig>; options?: Partial<CacheOptions>; baseUrl?: string } = {},
): Promise<Harness> {
  const snapshot = cacheSnapshot(policy, opts.baseUrl);
  const clock = new Clock();
  const deps: StageDeps = {
    config: testConfig(opts.config),
    logger: pino({ level: 'silent' }),
    snapshots: { current: () => snapshot, onSwap: () => {} },
    providerGate: { tryAcquire: async () => true, settle: () => {} },
  };
  const stage = await createCacheStage(deps, { embeddingsDir: SHARED_EMBEDDINGS_DIR, now: clock.now, ...opts.options });
  await stage.service.ready(snapshot);
  const h: Harness = {
    stage,
    snapshot,
    clock,
    calls: [],
    reply: (req) => {
      const last = req.messages[req.messages.length - 1];
      return textResponse(`answer to: ${typeof last?.content === 'string' ? last.content : '?'}`);
    },
    async run(body, o = {}) {
      const full: ChatRequest = { model: 'gpt-test', ...body };
      const secret = o.key ?? KEY_A;
      const key = Object.values(snapshot.keys).find((k: KeyRecord) => k.hash === keyHash(secret))!;
      const ctx: RequestContext = {
        id: `req-${++seq}`,
        receivedAt: clock.t,
        snapshot,
        endpoint: 'chat',
        headers: o.headers ?? {},
        signal: new AbortController().signal,
        presentedKeyHash: key.hash,
        key,
        route: snapshot.routes[full.model] ?? null,
        body: full,
        stream: o.stream ?? false,
        responseHeaders: {},
        meta: newMeta(),
      };
      const outcome = await stage.run(ctx, async () => {
        h.calls.push(full);
        const resp = h.reply(full);
        ctx.meta.provider = 'fake';
        ctx.meta.upstreamModel = 'gpt-4o-mini';
        ctx.meta.usage = {
          promptTokens: resp.usage?.prompt_tokens ?? 0,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: resp.usage?.completion_tokens ?? 0,
          source: 'provider',
        };
        if (!ctx.stream) return { type: 'json', status: 200, body: resp };
        return { type: 'stream', chunks: chunksOf(resp) };
      });
      return { outcome, ctx };
    },
    async settle() {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    },
    close: () => stage.close?.() ?? Promise.resolve(),
  };
  return h;
}

async function* chunksOf(resp: ChatResponse): AsyncGenerator<ChatChunk> {
  const base = { id: resp.id, object: 'chat.completion.chunk' as const, created: resp.created, model: resp.model };
  const text = String(resp.choices[0]?.message.content ?? '');
  yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
  for (const piece of text.split(/(?= )/))
    yield { ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] };
  yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
}

import { createHash } from 'node:crypto';

const keyHash = (s: string) => createHash('sha256').update(s).digest('hex');

export async function drain(outcome: Outcome): Promise<ChatChunk[]> {
  if (outcome.type !== 'stream') throw new Error('expected a stream');
  const out: ChatChunk[] = [];
  for await (const c of outcome.chunks) out.push(c);
  return out;
}

export const user = (content: string) => ({ role: 'user' as const, content });
