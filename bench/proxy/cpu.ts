/**
 * `--cpu` mode. Wall-clock figures are noise on a shared, loaded machine; CPU time per request is
 * not. Each target runs as its own process; its CPU time (all threads, and the main thread alone,
 * from /proc/<pid>/task/*\/schedstat, ns resolution; Linux only) is read before and after a fixed
 * number of requests. `--prof DIR` runs the Sluice processes under --cpu-prof.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { stopAll } from './processes.js';
import { BODY, pct, STREAM_BODY, type Target } from './shared.js';
import { buildDist, startTargets, startUpstream, TARGET_NAMES, type TargetName } from './targets.js';

function cpuNs(pid: number): { all: number; main: number } {
  let all = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ns = 0;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // thread exited meanwhile
    }
    all += ns;
    if (tid === String(pid)) main = ns;
  }
  return { all, main };
}

async function fire(t: Target, n: number, connections: number, body: string): Promise<void> {
  const pool = new Pool(t.origin, { connections, pipelining: 1 });
  let left = n;
  let bad = 0;
  const worker = async () => {
    while (left > 0) {
      left--;
      const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: t.headers, body });
      await r.body.dump();
      if (r.statusCode !== 200) bad++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.close();
  if (bad > 0) throw new Error(`${t.name}: ${bad} non-200 answers`);
}

export async function runCpu(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cpu: { type: 'boolean' },
      requests: { type: 'string', default: '10000' },
      connections: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      prof: { type: 'string' },
      only: { type: 'string' },
      mode: { type: 'string', default: 'both' },
      'node-options': { type: 'string' },
    },
  });
  const n = Number(values.requests);
  const conns = Number(values.connections);
  const rounds = Number(values.rounds);
  const names = (
    values.only?.split(',') ?? ['bare-uws', 'bare-proxy', 'bare-socket', 'sluice-core', 'sluice', 'portkey']
  ).filter((x): x is TargetName => (TARGET_NAMES as readonly string[]).includes(x));
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-cpu-'));
  try {
    buildDist();
    const upstreamPort = await startUpstream(children);
    const upPid = children[0]!.pid!;
    const targets = await startTargets({
      names,
      upstreamPort,
      dir,
      children,
      sluiceFlags: values.prof ? ['--cpu-prof', `--cpu-prof-dir=${values.prof}`] : [],
      nodeOptions: values['node-options'],
    });
    const rows = new Map<string, { all: number[]; main: number[]; up: number[] }>();
    const modes = (['json', 'stream'] as const).filter((m) => values.mode === 'both' || values.mode === m);
    for (const mode of modes) {
      const body = mode === 'json' ? BODY : STREAM_BODY;
      for (const t of targets) await fire(t, Math.min(n, 3000), conns, body); // warm-up: JIT, pools
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + r) % targets.length]!;
          const a = cpuNs(t.pid);
          const u = cpuNs(upPid);
          await fire(t, n, conns, body);
          const b = cpuNs(t.pid);
          const v = cpuNs(upPid);
          const key = `${t.name}|${mode}`;
          const row = rows.get(key) ?? { all: [], main: [], up: [] };
          row.all.push((b.all - a.all) / n / 1000);
          row.main.push((b.main - a.main) / n / 1000);
          row.up.push((v.all - u.all) / n / 1000);
          rows.set(key, row);
        }
        console.error(`${mode} round ${r + 1}/${rounds} done`);
      }
    }
    const med = (xs: number[]) => pct(xs, 50).toFixed(1);
    console.log(
      '| target | JSON µs CPU/req (all threads) | JSON main thread | stream µs CPU/req (all threads) | stream main thread | upstream µs/req (JSON) |',
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    const none = { all: [Number.NaN], main: [Number.NaN], up: [Number.NaN] };
    for (const t of targets) {
      const j = rows.get(`${t.name}|json`) ?? none;
      const s = rows.get(`${t.name}|stream`) ?? none;
      console.log(`| ${t.name} | ${med(j.all)} | ${med(j.main)} | ${med(s.all)} | ${med(s.main)} | ${med(j.up)} |`);
    }
    console.log(
      `\nrequests=${n}×${rounds} rounds, ${conns} connections, median of rounds; loadavg(1m)=${loadavg()[0]!.toFixed(1)} node=${process.version}`,
    );
  } finally {
    // Long grace: --cpu-prof writes its profile on exit.
    await stopAll(children, 3000);
    await rm(dir, { recursive: true, force: true });
  }
}
