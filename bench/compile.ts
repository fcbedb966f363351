/**
 * Compile benchmark: generates a config of 10,000 keys in 1,000 teams (one file per team) in a
 * temp dir and prints full-compile and one-file-recompile times.
 * Goals (2-core machine): full compile ≤ 2 s, one-file recompile ≤ 200 ms.
 * Run: node --import tsx bench/compile.ts [--teams 1000] [--keys-per-team 10] [--runs 5] [--out DIR]
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigCompiler } from '../control-plane/compile/index.js';

const { values } = parseArgs({
  options: {
    teams: { type: 'string' },
    'keys-per-team': { type: 'string' },
    runs: { type: 'string' },
    out: { type: 'string' },
  },
});
const TEAMS = Number(values.teams ?? 1000);
const KEYS_PER_TEAM = Number(values['keys-per-team'] ?? 10);
const RUNS = Number(values.runs ?? 5);
const ROUTES = 20;
const HEADER = 'apiVersion: sluice/v1\n';

const hash = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const pad = (n: number) => String(n).padStart(4, '0');

function teamFile(t: number, budget: string): string {
  const docs = [
    `${HEADER}kind: Team\nname: team-${pad(t)}\norg: bench\nbudget: {amount: "${budget}", period: monthly}\nlimits: {tpm: 100000, rpm: 600}\nallowed_routes: ["route-*"]\ntags: {cost_center: cc-${t}}\n`,
  ];
  for (let k = 0; k < KEYS_PER_TEAM; k++) {
    docs.push(
      `${HEADER}kind: Key\nname: key-${pad(t)}-${k}\nteam: team-${pad(t)}\nhash: ${hash(`secret-${t}-${k}`)}\nexpires_at: "2031-01-01"\npriority: ${k % 3}\nbudget: {amount: "50", period: monthly}\nlimits: {rpm: 60}\nmetadata: {owner: "owner-${t}@example.com"}\n`,
    );
  }
  return docs.join('---\n');
}

async function generate(dir: string): Promise<void> {
  await mkdir(join(dir, 'teams'), { recursive: true });
  const totalTeamBudget = TEAMS * 1000;
  await writeFile(
    join(dir, 'org.yaml'),
    `${HEADER}kind: Organization\nname: bench\nbudget: {amount: "${totalTeamBudget}", period: monthly}\ncache_policy: standard\n---\n${HEADER}kind: Gateway\nname: default\nadmin_key_hashes: [${hash('admin')}]\n`,
  );
  await writeFile(join(dir, 'providers.yaml'), `${HEADER}kind: Provider\nname: sim\ntype: simulated\n`);
  const routes: string[] = [];
  const prices: string[] = [];
  for (let r = 0; r < ROUTES; r++) {
    routes.push(
      `${HEADER}kind: Route\nname: route-${r}\ntargets:\n  - {provider: sim, model: model-${r}, weight: 3}\n  - {provider: sim, model: model-${(r + 1) % ROUTES}, weight: 1}\n${r > 0 ? `fallback: [route-${r - 1}]\n` : ''}`,
    );
    prices.push(
      `  model-${r}:\n    - {effective_from: "2024-01-01", input: "0.${r + 10}", output: "1.${r}"}\n    - {effective_from: "2026-01-01", input: "0.${r + 5}", output: "1.0${r}"}\n`,
    );
  }
  await writeFile(join(dir, 'routes.yaml'), routes.join('---\n'));
  await writeFile(
    join(dir, 'pricing.yaml'),
    `${HEADER}kind: Pricing\nname: sim\nprovider: sim\nmodels:\n${prices.join('')}`,
  );
  await writeFile(
    join(dir, 'cache.yaml'),
    `${HEADER}kind: CachePolicy\nname: standard\nsemantic: {enabled: true, threshold: 0.95}\n`,
  );
  await writeFile(
    join(dir, 'policies.yaml'),
    `${HEADER}kind: Policy\nname: gov\nrules:\n  - rule: team-requires-budget\n  - rule: key-max-budget\n    params: {amount: "100"}\n  - rule: key-max-lifetime\n    params: {days: 3650}\n`,
  );
  await Promise.all(
    Array.from({ length: TEAMS }, (_, t) => writeFile(join(dir, 'teams', `team-${pad(t)}.yaml`), teamFile(t, '1000'))),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall and CPU milliseconds of one call (CPU shows the cost when other processes share the cores). */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  if (values.out) {
    // Only write the generated config (for profiling or `sluice validate`), no timing.
    await generate(values.out);
    console.log(`generated ${TEAMS * KEYS_PER_TEAM} keys / ${TEAMS} teams in ${values.out}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-compile-'));
  try {
    await generate(dir);
    console.log(
      `config: ${TEAMS * KEYS_PER_TEAM} keys, ${TEAMS} teams, ${ROUTES} routes in ${TEAMS + 6} files (${dir})`,
    );

    const cold = await timed(() => new ConfigCompiler(dir).compile());
    const first = cold.value;
    if (!first.ok) throw new Error(`generated config invalid: ${JSON.stringify(first.diagnostics.slice(0, 3))}`);
    const bytes = Buffer.byteLength(JSON.stringify(first.snapshot));

    const full: { wall: number; cpu: number }[] = [];
    let compiler = new ConfigCompiler(dir);
    for (let i = 0; i < RUNS; i++) {
      compiler = new ConfigCompiler(dir);
      full.push(await timed(() => compiler.compile()));
    }

    const oneFile: { wall: number; cpu: number }[] = [];
    const rescan: { wall: number; cpu: number }[] = [];
    const file = join(dir, 'teams', 'team-0007.yaml');
    let last = first.snapshot!.version;
    for (let i = 0; i < RUNS; i++) {
      await writeFile(file, teamFile(7, String(900 - i)));
      const r = await timed(() => compiler.compile([file]));
      oneFile.push(r);
      if (!r.value.ok || r.value.snapshot!.version === last)
        throw new Error('one-file recompile did not produce a new version');
      last = r.value.snapshot!.version;
      await writeFile(file, teamFile(7, String(800 - i)));
      rescan.push(await timed(() => compiler.compile()));
    }

    const show = (label: string, runs: { wall: number; cpu: number }[], goal?: number) => {
      const wall = median(runs.map((r) => r.wall));
      const cpu = median(runs.map((r) => r.cpu));
      console.log(
        `${label}, median of ${runs.length}: ${ms(wall)} wall, ${ms(cpu)} CPU${goal ? `  [goal ≤ ${goal} ms]` : ''}  runs: ${runs.map((r) => ms(r.wall)).join(', ')}`,
      );
    };
    const load = (await import('node:os')).loadavg()[0].toFixed(1);
    console.log(
      `snapshot: ${(bytes / 1024 / 1024).toFixed(1)} MiB, version ${first.snapshot!.version}; 1-min load average ${load}`,
    );
    console.log(
      `full compile, first in process (incl. schema compilation): ${ms(cold.wall)} wall, ${ms(cold.cpu)} CPU`,
    );
    show('full compile (fresh compiler)', full, 2000);
    show('one-file recompile (watcher names the file)', oneFile, 200);
    show('recompile with folder rescan (stat of every file)', rescan);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
