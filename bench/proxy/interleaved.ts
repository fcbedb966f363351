/**
 * The default mode: direct vs Sluice vs Portkey (and the yardsticks), interleaved in one run
 * against one fake upstream, order rotated each round. Prints RPS at 32 connections, p50/p99 at
 * 1 connection and streaming TTFB, each also as what the target adds over direct.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { expectOk, hasWrk, named, undiciLatency, undiciRps, undiciTtfb, wrk } from './load.js';
import { stopAll } from './processes.js';
import { BODY, pct, STREAM_BODY, type Target } from './shared.js';
import { buildDist, startTargets, startUpstream, type TargetName } from './targets.js';

interface Samples {
  rps: number[];
  p50: number[];
  p99: number[];
  lat: number[];
  ttfb: number[];
  errors: number;
}

export async function runInterleaved(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '3' },
      'latency-requests': { type: 'string', default: '400' },
      'no-portkey': { type: 'boolean', default: false },
      'no-wrk': { type: 'boolean', default: false },
    },
  });
  const loadBefore = loadavg()[0]!;
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const latencyN = Number(values['latency-requests']);
  const useWrk = !values['no-wrk'] && hasWrk();
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  try {
    buildDist();
    const upstreamPort = await startUpstream(children);
    const names: TargetName[] = ['sluice', 'sluice-core', 'bare-proxy', 'bare-socket'];
    if (!values['no-portkey']) names.push('portkey');
    const direct: Target = {
      name: 'direct',
      origin: `http://127.0.0.1:${upstreamPort}`,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
    };
    const targets: Target[] = [direct, ...(await startTargets({ names, upstreamPort, dir, children }))];

    const rpsOf = (t: Target, s: number) => named(t, 'RPS', () => (useWrk ? wrk(t, 32, s, dir) : undiciRps(t, s, 32)));
    const latencyOf = (t: Target, n: number) => named(t, 'latency', () => undiciLatency(t, n));
    const ttfbOf = (t: Target, n: number) => named(t, 'TTFB', () => undiciTtfb(t, n));
    // Correctness and warm-up (keep-alive pools, JIT) before anything is measured.
    for (const t of targets) {
      await named(t, 'first JSON request', () => expectOk(t, BODY));
      await named(t, 'first stream request', () => expectOk(t, STREAM_BODY));
      await rpsOf(t, 1);
      await latencyOf(t, 100);
      await ttfbOf(t, 50);
    }

    const samples = new Map<string, Samples>(
      targets.map((t) => [t.name, { rps: [], p50: [], p99: [], lat: [], ttfb: [], errors: 0 }]),
    );
    for (let r = 0; r < rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
      for (const t of order) {
        const s = samples.get(t.name)!;
        const load = await rpsOf(t, seconds);
        s.rps.push(load.rps);
        s.errors += load.errors;
        if (useWrk) {
          const one = await named(t, 'latency', () => wrk(t, 1, Math.max(1, Math.round(seconds / 1.5)), dir));
          s.p50.push(one.p50);
          s.p99.push(one.p99);
          s.errors += one.errors;
        } else s.lat.push(...(await latencyOf(t, latencyN)));
        s.ttfb.push(...(await ttfbOf(t, Math.ceil(latencyN / 2))));
      }
      console.error(`round ${r + 1}/${rounds} done`);
    }
    report(targets, samples, useWrk);
    console.log(
      `load generator: ${useWrk ? 'wrk -t1 (RPS, latency); undici (TTFB)' : values['no-wrk'] ? 'undici (--no-wrk)' : 'undici (wrk not found: apt-get install wrk)'}; ` +
        `rounds=${rounds} seconds=${seconds} cpus=${cpus().length} node=${process.version} ` +
        `loadavg(1m) before=${loadBefore.toFixed(1)} after=${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await stopAll(children, 500);
    await rm(dir, { recursive: true, force: true });
  }
}

function report(targets: Target[], samples: Map<string, Samples>, useWrk: boolean): void {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const med = (xs: number[]) => pct(xs, 50);
  const rows = targets.map((t) => {
    const s = samples.get(t.name)!;
    // wrk: median over rounds of each round's percentile; undici: percentile of all samples.
    const p50 = useWrk ? med(s.p50) : pct(s.lat, 50);
    const p99 = useWrk ? med(s.p99) : pct(s.lat, 99);
    return { name: t.name, rps: Math.round(mean(s.rps)), p50, p99, ttfb: pct(s.ttfb, 50), errors: s.errors };
  });
  const d = rows[0]!;
  const f = (x: number) => x.toFixed(3);
  const added = (r: (typeof rows)[number], x: number, base: number) => (r === d ? '—' : f(x - base));
  console.log(
    '| target | RPS @32 conn | p50 ms @1 | p99 ms @1 | added p50 ms | added p99 ms | stream TTFB p50 ms | added TTFB ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.rps} | ${f(r.p50)} | ${f(r.p99)} | ${added(r, r.p50, d.p50)} | ${added(r, r.p99, d.p99)} | ${f(r.ttfb)} | ${added(r, r.ttfb, d.ttfb)} |`,
    );
  }
  for (const r of rows) if (r.errors > 0) console.log(`  ${r.name}: ${r.errors} errors or non-2xx answers`);
  const s = rows.find((r) => r.name === 'sluice')!;
  const p = rows.find((r) => r.name === 'portkey');
  console.log('');
  if (p) console.log(`Sluice/Portkey RPS: ${(s.rps / p.rps).toFixed(1)}× (goal ≥ 15×)`);
  console.log(
    `Sluice added p50: ${f(s.p50 - d.p50)} ms (goal ≤ 0.1 ms); added TTFB: ${f(s.ttfb - d.ttfb)} ms (goal ≤ 0.5 ms)`,
  );
}
