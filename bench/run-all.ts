/**
 * `npm run bench`: every bench in sequence, each as its own process with its default arguments,
 * output passed through. `npm run bench -- proxy,tokens` runs only those. Benches that need
 * Redis or ClickHouse use the test services (`bash test/setup/services.sh`) and skip what is not
 * reachable. Figures are recorded by hand in bench/results/ and summarized in bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv[2]?.split(',') ?? all;
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted) {
  console.log(`\n━━━ bench/${name}.ts ━━━`);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit' });
  const s = ((performance.now() - started) / 1000).toFixed(0);
  if (r.status !== 0) failed++;
  console.log(`━━━ ${name}: ${r.status === 0 ? 'done' : `exit ${r.status ?? r.signal}`} in ${s} s`);
}
process.exit(failed > 0 ? 1 : 0);
