/**
 * Usage event pipeline figures:
 *   1. request-path cost of emitting one event (build the event from ctx + push to the batch), ns;
 *   2. accounting stage overhead per non-streamed request vs calling next() directly, ns;
 *   3. events/second the recorder sustains into SQLite (emit → batch → WAL transaction);
 *   4. events/second into ClickHouse (JSONEachRow batches of 500), when reachable.
 * Run: node --import tsx bench/events.ts   (ClickHouse: SLUICE_BENCH_CLICKHOUSE_URL, default the test server)
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { StageDeps } from '../data-plane/pipeline/deps.js';
import { newMeta, type Outcome, type RequestContext } from '../data-plane/pipeline/types.js';
import { createAccountingStageWith } from '../data-plane/stages/accounting.js';
import { buildUsageEvent } from '../data-plane/usage/build-event.js';
import { connectClickHouse, parseClickHouseUrl } from '../data-plane/usage/clickhouse/schema.js';
import { createClickHouseSink } from '../data-plane/usage/clickhouse/sink.js';
import type { UsageEvent } from '../data-plane/usage/event.js';
import { createUsageRecorder } from '../data-plane/usage/recorder.js';
import { keyRecord, makeSnapshot, route, TEST_KEY } from '../test/helpers/snapshot.js';

const logger = pino({ level: 'silent' });
const snapshot = makeSnapshot();
const key = keyRecord(TEST_KEY, { tags: { cost_center: 'cc-1' } });
const gptRoute = route('gpt-test', { tags: { feature: 'search' } });

function ctx(): RequestContext {
  const meta = newMeta();
  meta.provider = 'fake';
  meta.upstreamModel = 'gpt-4o-mini';
  meta.attempts = 1;
  meta.cacheTier = 'miss';
  meta.usage = {
    promptTokens: 812,
    cachedInputTokens: 256,
    cacheWriteTokens: 0,
    outputTokens: 140,
    source: 'provider',
  };
  meta.firstTokenAt = Date.now();
  return {
    id: randomUUID(),
    receivedAt: Date.now(),
    snapshot,
    endpoint: 'chat',
    headers: {},
    signal: new AbortController().signal,
    presentedKeyHash: null,
    key,
    route: gptRoute,
    body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] },
    stream: false,
    responseHeaders: {},
    meta,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const yieldLoop = () => new Promise((r) => setImmediate(r));

async function emitCost(dataDir: string): Promise<void> {
  const rec = await createUsageRecorder({ dataDir, clickhouseUrl: null, logger });
  const N = 200_000;
  const ctxs = Array.from({ length: 1000 }, ctx);
  // Warm-up.
  for (let i = 0; i < 20_000; i++)
    rec.record(
      buildUsageEvent(ctxs[i % 1000]!, { endedAt: Date.now(), httpStatus: 200, error: null, abandoned: false }, 'r'),
    );
  await rec.drain();
  let total = 0n;
  for (let round = 0; round < N / 1000; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) {
      const c = ctxs[i]!;
      c.meta.cost = null;
      rec.record(buildUsageEvent(c, { endedAt: Date.now(), httpStatus: 200, error: null, abandoned: false }, 'r'));
    }
    total += process.hrtime.bigint() - t0;
    await yieldLoop(); // let flushes run, as between real requests
  }
  await rec.drain();
  await rec.close();
  console.log(`emit one event on the request path (build + push): ${fmt(Number(total) / N)} ns/event`);
}

async function stageOverhead(dataDir: string): Promise<void> {
  const deps: StageDeps = {
    config: {
      host: '127.0.0.1',
      port: 0,
      controlPlaneUrl: null,
      snapshotFile: null,
      dataDir,
      redisUrl: null,
      clickhouseUrl: null,
      qdrantUrl: null,
      replicaId: 'bench',
      logLevel: 'silent',
    },
    logger,
    snapshots: { current: () => snapshot, onSwap: () => {} },
    providerGate: { tryAcquire: async () => true, settle: () => {} },
  };
  const stage = await createAccountingStageWith(deps, {});
  const outcome: Outcome = { type: 'json', status: 200, body: {} };
  const next = async () => outcome;
  const N = 100_000;
  const ctxs = Array.from({ length: N }, ctx);
  // Only the awaited calls are timed; flushes (setImmediate/timers) run in the untimed yields.
  const time = async (fn: (c: RequestContext) => Promise<Outcome>) => {
    let total = 0n;
    for (let i = 0; i < N; i += 1000) {
      const t0 = process.hrtime.bigint();
      for (let j = i; j < i + 1000; j++) await fn(ctxs[j]!);
      total += process.hrtime.bigint() - t0;
      await yieldLoop();
    }
    return Number(total) / N;
  };
  await time((c) => stage.run(c, next)); // warm-up (fills the store; ids repeat → ignored)
  for (const c of ctxs) {
    (c as { id: string }).id = randomUUID();
    c.meta.cost = null;
  }
  const bare = await time(() => next());
  const withStage = await time((c) => stage.run(c, next));
  await stage.close();
  console.log(
    `accounting stage per request: ${fmt(withStage - bare)} ns added (bare ${fmt(bare)} ns, with stage ${fmt(withStage)} ns)`,
  );
}

async function sqliteThroughput(dataDir: string): Promise<void> {
  const rec = await createUsageRecorder({ dataDir, clickhouseUrl: null, logger });
  const N = 200_000;
  const base = buildUsageEvent(ctx(), { endedAt: Date.now(), httpStatus: 200, error: null, abandoned: false }, 'r');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    rec.record({ ...base, request_id: randomUUID(), ts_ms: base.ts_ms + i });
    if (i % 2000 === 1999) await yieldLoop();
  }
  await rec.drain();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  await rec.close();
  console.log(
    `SQLite sink: ${fmt(N / s)} events/s sustained (${N} events emitted and committed in ${s.toFixed(2)} s wall); ${fmt(N / cpuS)} events per CPU-second of the gateway process`,
  );
}

async function clickhouseThroughput(): Promise<void> {
  const url = process.env.SLUICE_BENCH_CLICKHOUSE_URL ?? 'http://127.0.0.1:8124';
  const db = `sluice_bench_${process.pid}`;
  const sink = createClickHouseSink(`${url}/${db}`);
  const base = buildUsageEvent(ctx(), { endedAt: Date.now(), httpStatus: 200, error: null, abandoned: false }, 'r');
  const make = (n: number, off: number): UsageEvent[] =>
    Array.from({ length: n }, (_, i) => ({ ...base, request_id: randomUUID(), ts_ms: base.ts_ms + off + i }));
  try {
    await sink.write(make(10, 0), { replay: false });
  } catch (err) {
    console.log(`ClickHouse sink: skipped (${url} unreachable: ${(err as Error).message})`);
    await sink.close();
    return;
  }
  for (const batch of [500, 5000]) {
    const N = 50_000;
    const t0 = performance.now();
    for (let off = 0; off < N; off += batch) await sink.write(make(batch, off), { replay: false });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `ClickHouse sink: ${fmt(N / s)} events/s with batches of ${batch} (${N} events in ${s.toFixed(2)} s, one insert at a time)`,
    );
  }
  await sink.close();
  const admin = connectClickHouse(parseClickHouseUrl(`${url}/${db}`), false);
  await admin.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await admin.close();
}

const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-events-'));
try {
  const { loadavg, cpus } = await import('node:os');
  console.log(
    `node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString()}`,
  );
  await emitCost(join(dir, 'a'));
  await stageOverhead(join(dir, 'b'));
  await sqliteThroughput(join(dir, 'c'));
  await clickhouseThroughput();
} finally {
  await rm(dir, { recursive: true, force: true });
}
