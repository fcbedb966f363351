/**
 * Cache benchmark.
 *
 *   node --import tsx bench/cache.ts [--seconds 3] [--latency-requests 400] [--queries 1000] [--sizes 10000,100000]
 *
 * 1. Exact-hit path through the full server: a Sluice data plane (own process, full pipeline,
 *    cache policy on the key) in front of a fast uWebSockets.js fake upstream (own process). After
 *    one fill, every request is an exact hit. Measured with an undici Pool load generator here:
 *    RPS at 32 connections and p50/p99 at 1 connection — for the hit path and, the same way,
 *    directly against the fake upstream.
 * 2. Semantic lookup in process: offline embedder (GloVe + SIF) + vector index (scan, usearch)
 *    + verification, with 10k and 100k entries in one context scope (the worst case: single-turn
 *    prompts of one route with the same parameters all share a scope). Per query: embed the
 *    prompt, search, extract the guard's facts. p50/p99 in ms.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { OfflineEmbedder } from '../data-plane/cache/embedders/offline.js';
import { extractFacts } from '../data-plane/cache/semantic/guard.js';
import { ScanIndex } from '../data-plane/cache/vector-index/scan-index.js';
import type { VectorIndex } from '../data-plane/cache/vector-index/types.js';
import { UsearchIndex } from '../data-plane/cache/vector-index/usearch-index.js';
import { keyRecord, makeSnapshot, node, provider, route } from '../test/helpers/snapshot.js';
import { spawnAndWait } from './proxy/processes.js';
import { startUpstream } from './proxy/targets.js';

const KEY = 'sk-sluice-bench-cache-0123456789';
const BODY = JSON.stringify({
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Say hello to the benchmark, politely and briefly.' }],
  max_tokens: 16,
});
const EMBEDDINGS_DIR = process.env.SLUICE_EMBEDDINGS_DIR ?? join(tmpdir(), 'sluice-test-embeddings');

function benchSnapshot(upstreamPort: number) {
  return makeSnapshot({
    version: 'v-bench-cache',
    nodes: [
      node('org:acme'),
      node('team:search', { parent: 'org:acme' }),
      node('key:bench', { parent: 'team:search' }),
    ],
    keys: [keyRecord(KEY, { name: 'bench', cachePolicy: 'bench-cache' })],
    providers: [provider('fake', `http://127.0.0.1:${upstreamPort}/v1`, { maxConnections: 64 })],
    routes: [
      route('bench-model', {
        targets: [{ provider: 'fake', model: 'bench-model', weight: 1, contextWindow: 128_000 }],
      }),
    ],
    cachePolicies: {
      'bench-cache': {
        id: 'bench-cache',
        scope: 'team',
        exact: { enabled: true, ttlMs: 3_600_000 },
        semantic: {
          enabled: true,
          threshold: 0.95,
          embedder: { type: 'offline' },
          ttlMsByContentType: { default: 3_600_000 },
          maxMessages: 3,
        },
      },
    },
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function measureRps(origin: string, headers: Record<string, string>, seconds: number, connections: number) {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  let done = 0;
  let errors = 0;
  let hits = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body: BODY });
      await r.body.dump();
      if (r.statusCode === 200) done++;
      else errors++;
      if (r.headers['x-sluice-cache'] === 'hit-exact') hits++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  return { rps: done / elapsed, errors, hits, done };
}

async function measureLatency(origin: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const pool = new Pool(origin, { connections: 1 });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body: BODY });
    await r.body.dump();
    out.push(performance.now() - t0);
  }
  await pool.close();
  return out;
}

async function serverBench(seconds: number, latencyN: number): Promise<void> {
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-cache-'));
  try {
    const upstreamPort = await startUpstream(children);
    const snapshotFile = join(dir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(benchSnapshot(upstreamPort)));
    const dp = spawnAndWait(
      process.execPath,
      ['--import', 'tsx', 'control-plane/cli/main.ts', 'data-plane', '--snapshot', snapshotFile, '--port', '0'],
      /data plane on (http:\/\/[\d.]+:\d+)/,
      { SLUICE_LOG_LEVEL: 'warn', SLUICE_EMBEDDINGS_DIR: EMBEDDINGS_DIR, SLUICE_DATA_DIR: dir },
      false,
      60_000,
    );
    children.push(dp.child);
    const sluiceUrl = (await dp.ready)[1]!;
    const direct = { origin: `http://127.0.0.1:${upstreamPort}`, headers: { 'content-type': 'application/json' } };
    const sluice = {
      origin: sluiceUrl,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    };
    // The same server and pipeline, cache bypassed: every request goes to the upstream.
    const proxied = { origin: sluiceUrl, headers: { ...sluice.headers, 'x-sluice-cache': 'no-store' } };

    // Fill the cache and warm up both paths.
    await measureLatency(sluice.origin, sluice.headers, 1);
    await new Promise((r) => setTimeout(r, 100));
    for (const t of [direct, proxied, sluice]) {
      await measureRps(t.origin, t.headers, 1, 32);
      await measureLatency(t.origin, t.headers, 100);
    }
    const rows: string[] = [];
    for (const [name, t] of [
      ['direct to upstream', direct],
      ['sluice → upstream (cache bypassed)', proxied],
      ['sluice exact hit', sluice],
    ] as const) {
      const r = await measureRps(t.origin, t.headers, seconds, 32);
      const lat = await measureLatency(t.origin, t.headers, latencyN);
      const hitNote = t === sluice ? ` (${r.hits}/${r.done} hits)` : '';
      rows.push(
        `| ${name} | ${Math.round(r.rps).toLocaleString('en-US')}${hitNote} | ${pct(lat, 50).toFixed(3)} | ${pct(lat, 99).toFixed(3)} |`,
      );
      if (r.errors > 0) console.error(`${name}: ${r.errors} non-200 answers`);
    }
    console.log('\n## Exact-hit path through the server (32 connections for RPS, 1 connection for latency)\n');
    console.log('| target | RPS | p50 ms | p99 ms |\n|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deterministic synthetic prompts from the embedder's vocabulary (frequent words, 6–14 tokens). */
function prompts(words: string[], n: number, seed: number): string[] {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0xffffffff;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 6 + Math.floor(next() * 9);
    const ws: string[] = [];
    for (let j = 0; j < len; j++) ws.push(words[Math.floor(next() * next() * 20_000)]!);
    out.push(`${ws.join(' ')}?`);
  }
  return out;
}

async function semanticBench(sizes: number[], queries: number): Promise<void> {
  const t0 = performance.now();
  const embedder = await OfflineEmbedder.load(EMBEDDINGS_DIR);
  console.log(`\noffline embedder loaded in ${Math.round(performance.now() - t0)} ms`);
  const vocab = (embedder as unknown as { wv: { words: string[] } }).wv.words;
  const qs = prompts(vocab, queries, 99);
  const tEmbed = performance.now();
  for (const q of qs) embedder.embedSync(q);
  const embedUs = ((performance.now() - tEmbed) * 1000) / qs.length;
  console.log(`\n## Semantic lookup (one scope, offline embedder; embed ${embedUs.toFixed(1)} µs/prompt)\n`);
  console.log(
    '| entries | index | build s | lookup p50 ms | lookup p99 ms | search only p50 ms |\n|---|---|---|---|---|---|',
  );
  const maxSize = Math.max(...sizes);
  const corpus = prompts(vocab, maxSize, 7).map((p) => embedder.embedSync(p));
  for (const size of sizes) {
    for (const kind of ['scan', 'usearch'] as const) {
      const index: VectorIndex = kind === 'scan' ? new ScanIndex(100, size + 1) : new UsearchIndex(100, size + 1);
      const tb = performance.now();
      for (let i = 0; i < size; i++) {
        await index.add(
          {
            id: `i${i}`,
            entryId: `e${i}`,
            scope: 'bench-scope',
            namespace: 'team:search',
            route: 'bench-model',
            facts: { entities: [], quantities: [], dates: [], units: [], negations: 0 },
            createdAt: 0,
            expiresAt: Number.MAX_SAFE_INTEGER,
          },
          corpus[i]!,
        );
      }
      const buildS = (performance.now() - tb) / 1000;
      const full: number[] = [];
      const searchOnly: number[] = [];
      for (const q of qs) {
        const a = performance.now();
        const v = embedder.embedSync(q);
        const b = performance.now();
        await index.search('bench-scope', v, 5, 1);
        const c = performance.now();
        extractFacts(q);
        full.push(performance.now() - a);
        searchOnly.push(c - b);
      }
      console.log(
        `| ${size.toLocaleString('en-US')} | ${kind} | ${buildS.toFixed(1)} | ${pct(full, 50).toFixed(3)} | ${pct(full, 99).toFixed(3)} | ${pct(searchOnly, 50).toFixed(3)} |`,
      );
      await index.close();
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '3' },
      'latency-requests': { type: 'string', default: '400' },
      queries: { type: 'string', default: '1000' },
      sizes: { type: 'string', default: '10000,100000' },
      'no-server': { type: 'boolean', default: false },
      'no-semantic': { type: 'boolean', default: false },
    },
  });
  console.log(`# bench/cache.ts — load average before: ${loadavg()[0]!.toFixed(2)} (2 cores)`);
  if (!values['no-server']) await serverBench(Number(values.seconds), Number(values['latency-requests']));
  if (!values['no-semantic']) {
    await semanticBench(values.sizes.split(',').map(Number), Number(values.queries));
  }
  console.log(`\nload average after: ${loadavg()[0]!.toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
