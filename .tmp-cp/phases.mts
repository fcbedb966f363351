import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigLoader } from '../control-plane/load/load-dir.ts';
import { buildIndex } from '../control-plane/config/index.ts';
import { Resolver } from '../control-plane/config/resolve.ts';
import { runChecks } from '../control-plane/check/index.ts';
import { buildSnapshot } from '../control-plane/compile/build-snapshot.ts';
import { BuildCache } from '../control-plane/compile/build-cache.ts';
const cache = new BuildCache();

const dir = process.argv[2];
const loader = new ConfigLoader(dir);
let t = performance.now();
const lap = (label: string) => { const n = performance.now(); console.log(label, (n - t).toFixed(0), 'ms'); t = n; };
let r = await loader.load(); lap('load full');
for (let i = 0; i < 8; i++) {
  const f = join(dir, 'teams/team-0007.yaml');
  await writeFile(f, (await import('node:fs')).readFileSync(f, 'utf8').replace(/amount: "\d+"/, `amount: "${900 - i}"`));
  t = performance.now();
  r = await loader.load([f]); lap('load one');
  const ix = buildIndex(r.config); lap('index');
  const res = new Resolver(ix);
  const d = runChecks(ix, res, Date.now()); lap('checks ' + d.length);
  const s = buildSnapshot(ix, res, undefined, cache); lap('build+hash');
  JSON.stringify(s); lap('stringify');
}
