/**
 * Per-stage CPU cost of the request pipeline, in process (no sockets, no server core).
 *
 *   node --import tsx bench/stages.ts [--requests 2000] [--rounds 5] [--chunks 20] [--pii]
 *                                     [--only full|cache|nocache] [--mode json|stream]
 *
 * Runs the real stages — accounting (SQLite ledger) → auth → guardrails → cache → queue →
 * limits → upstream (router) — against an in-process fake provider adapter that answers at once.
 * A typical request: one system + one user message (~300 tokens), max_tokens 256, a key with
 * rpm/tpm/monthly budget on key, team and org, a guardrail policy (PII redaction, blocked terms,
 * max input tokens), and a cache policy exact-only (every prompt unique: miss + fill) or no cache.
 *
 * Per-stage cost is measured by difference: the pipeline is built from the innermost stage
 * outwards (upstream; limits+upstream; queue+limits+upstream; …) and each prefix's CPU time per
 * request (process.cpuUsage over N sequential requests, streams read to the end, background work
 * such as ledger flushes and cache fills included) minus the next-smaller one is that stage's
 * cost. The row "harness" is the context construction and a terminal no-op. CPU time, not wall
 * time, so the figures hold on a loaded machine; prefixes are interleaved and the smallest of the
 * rounds is printed (contention only adds CPU time).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { ChatChunk, ChatRequest, ChatResponse } from '../common/openai-types.js';
import type { Snapshot } from '../common/snapshot.js';
import type { NormalizedUsage } from '../common/usage.js';
import type { DataPlaneConfig } from '../data-plane/config.js';
import { createProviderAccountGate } from '../data-plane/limits/provider-gate.js';
import type { BuiltStage, SnapshotSource, StageDeps } from '../data-plane/pipeline/deps.js';
import { compose, newMeta, type Outcome, type RequestContext, type Stage } from '../data-plane/pipeline/types.js';
import type { ProviderAdapter, UpstreamStream } from '../data-plane/providers/types.js';
import { createAccountingStage } from '../data-plane/stages/accounting.js';
import { createAuthStage } from '../data-plane/stages/auth.js';
import { createCacheStage } from '../data-plane/stages/cache.js';
import { createGuardrailsStage } from '../data-plane/stages/guardrails.js';
import { createLimitsStage } from '../data-plane/stages/limits.js';
import { createQueueStage } from '../data-plane/stages/queue.js';
import { createUpstreamStage } from '../data-plane/stages/upstream.js';
import { keyRecord, makeSnapshot, node, provider, route, sha256 } from '../test/helpers/snapshot.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    chunks: { type: 'string', default: '20' },
    pii: { type: 'boolean', default: false },
    only: { type: 'string' },
    mode: { type: 'string' },
    /** Only the full pipeline, no prefixes (for --cpu-prof). */
    'full-only': { type: 'boolean', default: false },
    /** Attribute the full pipeline's CPU to stages with the V8 sampling profiler (in process). */
    profile: { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
const CHUNKS = Number(args.chunks);

const KEY = 'sk-sluice-bench-stages-0123456789';
const KEY_HASH = sha256(KEY);
const limits = { rpm: 1_000_000_000, tpm: 1_000_000_000_000, tpd: null, maxConcurrent: 10_000 };
const budget = { amountMicros: 1_000_000_000_000, period: 'monthly' as const, timezone: 'UTC' };

function benchSnapshot(cache: boolean): Snapshot {
  return makeSnapshot({
    version: `bench-stages-${cache ? 'cache' : 'nocache'}`,
    nodes: [
      node('org:acme', { budget, limits }),
      node('team:search', { parent: 'org:acme', budget, limits }),
      node('key:search-dev', { parent: 'team:search', budget, limits }),
    ],
    keys: [keyRecord(KEY, { guardrails: ['pii'], cachePolicy: cache ? 'exact' : null })],
    providers: [provider('fake', 'http://127.0.0.1:9'), provider('backup', 'http://127.0.0.1:9')],
    routes: [
      route('chat', { fallback: ['chat-backup'], defaultMaxOutputTokens: 1024 }),
      route('chat-backup', {
        targets: [{ provider: 'backup', model: 'gpt-4.1-mini', weight: 1, contextWindow: 1_000_000 }],
      }),
    ],
    pricing: {
      'fake/gpt-4o-mini': [
        {
          effectiveFrom: Date.UTC(2024, 0, 1),
          inputPico: 150_000,
          outputPico: 600_000,
          cachedInputPico: 75_000,
          cacheWritePico: 0,
        },
      ],
      'backup/gpt-4.1-mini': [
        {
          effectiveFrom: Date.UTC(2024, 0, 1),
          inputPico: 400_000,
          outputPico: 1_600_000,
          cachedInputPico: 100_000,
          cacheWritePico: 0,
        },
      ],
    },
    guardrails: {
      pii: {
        id: 'pii',
        pii: { email: 'redact', phone: 'redact', creditCard: 'redact', nationalId: 'redact' },
        blockedTerms: ['project nightingale', 'internal only'],
        blockedTermsAction: 'redact',
        maxInputTokens: 8_000,
      },
    },
    cachePolicies: {
      exact: {
        id: 'exact',
        scope: 'team',
        exact: { enabled: true, ttlMs: 3_600_000 },
        semantic: {
          enabled: false,
          threshold: 0.95,
          embedder: { type: 'offline' },
          ttlMsByContentType: { default: 3_600_000 },
          maxMessages: 4,
        },
      },
    },
  });
}

// ~300 tokens of ordinary English; a counter makes every prompt unique (so the exact cache
// misses and fills every time, and no whole-content memo hides the token count).
const SYSTEM =
  'You are a helpful assistant for an online bookshop. Answer briefly and politely, cite the ' +
  'order number when the customer gives one, and never promise refunds without checking policy.';
const WORDS =
  'the customer wrote that their order arrived late and one of the books had a damaged cover ' +
  'they would like to know whether a replacement can be shipped before the end of the month and ' +
  'whether the shipping costs will be refunded they also asked about the loyalty programme and ' +
  'how many points the purchase earned since the receipt did not show any points at all';
function prompt(i: number): ChatRequest {
  const user = `Request ${i}: ${WORDS} ${WORDS} ${WORDS}. ${args.pii ? 'Reach me at jane.doe@example.com.' : ''}`;
  return {
    model: 'chat',
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: user },
    ],
    max_tokens: 256,
  };
}

const USAGE: NormalizedUsage = {
  promptTokens: 300,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 40,
  source: 'provider',
};

function completion(model: string): ChatResponse {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Sorry about that!' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 },
  };
}

function chunk(model: string, delta: ChatChunk['choices'][number]['delta'], finish: string | null): ChatChunk {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish as never }],
  };
}

/** Answers at once: JSON, or a stream of a role prelude, CHUNKS tokens and a finish chunk. */
const fakeAdapter: ProviderAdapter = {
  async chat(req, target) {
    if (!req.stream) return { type: 'json', response: completion(target.model), usage: USAGE };
    async function* gen(): AsyncGenerator<ChatChunk> {
      yield chunk(target.model, { role: 'assistant', content: '' }, null);
      for (let i = 0; i < CHUNKS; i++) yield chunk(target.model, { content: ' word' }, null);
      yield chunk(target.model, {}, 'stop');
    }
    const stream = Object.assign(gen(), { usage: () => USAGE }) as UpstreamStream;
    return { type: 'stream', stream };
  },
  async embeddings() {
    throw new Error('not used');
  },
};

let seq = 0;

function makeCtx(snapshot: Snapshot, stream: boolean): RequestContext {
  const request = prompt(seq);
  if (stream) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  // Parsed from JSON like the server's: flat strings (template literals would be cons strings,
  // which every character read pays for).
  const body = JSON.parse(JSON.stringify(request)) as ChatRequest;
  const key = snapshot.keys[KEY_HASH] ?? null;
  return {
    id: `bench-${seq++}`,
    receivedAt: Date.now(),
    snapshot,
    endpoint: 'chat',
    headers: {},
    // One per request, as the server creates it (stages add and remove abort listeners).
    signal: new AbortController().signal,
    presentedKeyHash: KEY_HASH,
    // Preset as auth would, so prefixes without the auth stage still reach the inner stages.
    key,
    route: snapshot.routes.chat ?? null,
    body,
    stream,
    responseHeaders: {},
    meta: newMeta(),
  };
}

async function drain(outcome: Outcome): Promise<void> {
  if (outcome.type === 'stream') for await (const _ of outcome.chunks);
}

const terminal: Stage = {
  name: 'harness',
  run: async () => ({ type: 'json', status: 200, body: null }),
};

interface Built {
  stages: BuiltStage[];
  close(): Promise<void>;
}

async function buildStages(snapshot: Snapshot, dataDir: string): Promise<Built> {
  const config: DataPlaneConfig = {
    host: '127.0.0.1',
    port: 0,
    controlPlaneUrl: null,
    snapshotFile: null,
    dataDir,
    redisUrl: null,
    clickhouseUrl: null,
    qdrantUrl: null,
    replicaId: 'bench-stages',
    logLevel: 'silent',
  };
  const snapshots: SnapshotSource = { current: () => snapshot, onSwap: () => {} };
  const base = { config, logger: pino({ level: 'silent' }), snapshots };
  const deps: StageDeps = { ...base, providerGate: await createProviderAccountGate(base) };
  const stages: BuiltStage[] = [
    await createAccountingStage(deps),
    createAuthStage(deps),
    createGuardrailsStage(deps),
    await createCacheStage(deps),
    createQueueStage(deps),
    await createLimitsStage(deps),
    createUpstreamStage(deps, { adapterFor: () => fakeAdapter }),
  ];
  return {
    stages,
    async close() {
      for (const s of [...stages].reverse()) await s.close?.();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU µs per request of `run` over `n` sequential requests (background work included). */
async function measure(run: (ctx: RequestContext) => Promise<Outcome>, snapshot: Snapshot, stream: boolean, n: number) {
  for (let i = 0; i < Math.min(200, n); i++) await drain(await run(makeCtx(snapshot, stream)));
  await sleep(50);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await drain(await run(makeCtx(snapshot, stream)));
  // Let timers (ledger flush, cache fills) run; idle time costs no CPU.
  await sleep(250);
  const d = process.cpuUsage(start);
  return (d.user + d.system) / n;
}

// Contention on a loaded machine only ever adds CPU time (cache misses, shared cores): the
// smallest of the rounds is the closest to the code's own cost.
const best = (xs: number[]): number => Math.min(...xs);

async function scenario(cache: boolean, stream: boolean): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-stages-'));
  const snapshot = benchSnapshot(cache);
  const built = await buildStages(snapshot, dataDir);
  try {
    const names = built.stages.map((s) => s.name);
    // prefixes[k] = the innermost k stages (k = 0: harness only).
    const runs = names.map((_, k) => {
      const inner = built.stages.slice(names.length - k);
      return k === 0 ? compose([terminal]) : compose(inner);
    });
    runs.push(compose(built.stages));
    if (args.profile) {
      const full = runs[runs.length - 1] as (ctx: RequestContext) => Promise<Outcome>;
      await measure(full, snapshot, stream, Math.min(2000, REQUESTS));
      await profileStages(
        full,
        snapshot,
        stream,
        `${cache ? 'cache exact-only' : 'cache off'}, ${stream ? 'stream' : 'json'}`,
      );
      return;
    }
    if (args['full-only']) {
      const full = runs[runs.length - 1] as (ctx: RequestContext) => Promise<Outcome>;
      console.log(`full pipeline: ${(await measure(full, snapshot, stream, REQUESTS)).toFixed(1)} µs CPU / request`);
      return;
    }
    // Warm every stage (JIT, caches) before any prefix is measured.
    await measure(runs[runs.length - 1] as never, snapshot, stream, Math.min(2000, REQUESTS));
    const samples: number[][] = runs.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = runs.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) samples[i]?.push(await measure(runs[i] as never, snapshot, stream, REQUESTS));
    }
    const med = samples.map(best);
    const label = `${cache ? 'cache exact-only (miss + fill)' : 'cache off'}, ${stream ? `stream (${CHUNKS + 2} chunks)` : 'json'}`;
    console.log(`\n## ${label}`);
    console.log('| stage | µs CPU / request |');
    console.log('|---|---:|');
    console.log(`| harness (ctx + no-op) | ${med[0]?.toFixed(1)} |`);
    const rows: string[] = [];
    for (let k = 1; k <= names.length; k++) {
      const stageName = names[names.length - k];
      const own = (med[k] ?? 0) - (k === 1 ? (med[0] ?? 0) : (med[k - 1] ?? 0));
      rows.unshift(`| ${stageName} | ${own.toFixed(1)} |`);
    }
    for (const r of rows) console.log(r);
    const total = (med[names.length] ?? 0) - (med[0] ?? 0);
    console.log(`| **all stages** | **${total.toFixed(1)}** |`);
  } finally {
    await built.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Which pipeline part a source file belongs to (the innermost such frame of a sample wins). */
const AREAS: [RegExp, string][] = [
  [/common\/tokens\.ts|data-plane\/limits\/input-tokens\.ts/, 'token counting'],
  [/data-plane\/(limits\/|stages\/limits\.ts)/, 'limits'],
  [/data-plane\/(routing\/|stages\/upstream\.ts)/, 'upstream (router)'],
  [/policies\/guardrails\/|data-plane\/stages\/guardrails\.ts/, 'guardrails'],
  [/data-plane\/(cache\/|stages\/cache\.ts)/, 'cache'],
  [/data-plane\/(queue\/|stages\/queue\.ts)/, 'queue'],
  [/data-plane\/(usage\/|cost\/|stages\/accounting\.ts)/, 'accounting + cost'],
  [/data-plane\/stages\/auth\.ts/, 'auth'],
  [/data-plane\/pipeline\//, 'compose'],
  [/bench\/stages\.ts/, 'harness (ctx, fake adapter, drain)'],
];

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}

/** Runs REQUESTS requests under the V8 sampling profiler and prints µs CPU per request by area. */
async function profileStages(
  run: (ctx: RequestContext) => Promise<Outcome>,
  snapshot: Snapshot,
  stream: boolean,
  label: string,
): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await drain(await run(makeCtx(snapshot, stream)));
  await sleep(250);
  const cpu = process.cpuUsage(start);
  const { profile } = (await session.post('Profiler.stop')) as unknown as {
    profile: { nodes: ProfileNode[]; samples: number[] };
  };
  session.disconnect();
  if (process.env.STAGES_PROFILE_OUT) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(process.env.STAGES_PROFILE_OUT, JSON.stringify(profile));
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = areaOf.get(id);
    if (known) return known;
    const n = byId.get(id);
    let area = 'other';
    const fn = n?.callFrame.functionName ?? '';
    if (fn === '(idle)') area = 'idle';
    else if (fn === '(garbage collector)') area = 'garbage collector';
    else if (n) {
      const hit = AREAS.find(([re]) => re.test(n.callFrame.url));
      if (hit) area = hit[1];
      else {
        const p = parent.get(id);
        area = p === undefined ? 'other (event loop, timers, node internals)' : resolve(p);
      }
    }
    areaOf.set(id, area);
    return area;
  };
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const area = resolve(id);
    if (area === 'idle') continue;
    busy++;
    counts.set(area, (counts.get(area) ?? 0) + 1);
  }
  const perRequest = (cpu.user + cpu.system) / REQUESTS;
  console.log(`\n## ${label}: ${perRequest.toFixed(1)} µs CPU / request (profiled), by area`);
  console.log('| area | share | µs / request |');
  console.log('|---|---:|---:|');
  for (const [area, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${area} | ${((n / busy) * 100).toFixed(1)}% | ${((n / busy) * perRequest).toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  console.log(
    `bench/stages.ts requests=${REQUESTS} rounds=${ROUNDS} node=${process.version} loadavg(1m)=${loadavg()[0]?.toFixed(1)}`,
  );
  const caches = args.only === 'cache' ? [true] : args.only === 'nocache' ? [false] : [false, true];
  const modes = args.mode === 'json' ? [false] : args.mode === 'stream' ? [true] : [false, true];
  for (const cache of caches) for (const stream of modes) await scenario(cache, stream);
  console.log(`\nloadavg(1m) after=${loadavg()[0]?.toFixed(1)}`);
}

await main();
