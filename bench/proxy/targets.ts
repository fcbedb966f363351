/**
 * The processes under test, each on its own port, all proxying to one fake upstream:
 * - sluice: the product, `sluice data-plane` run from the production build (dist/, `npm run build`);
 * - sluice-core, bare-proxy, bare-socket: yardsticks (see reference-proxies.ts);
 * - portkey: `@portkey-ai/gateway` start-server.js --headless.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, spawnAndWait } from './processes.js';
import { ENTRY, KEY, portkeyHeaders, ROOT, type Target } from './shared.js';
import { benchSnapshot } from './snapshot.js';

export const TARGET_NAMES = ['sluice', 'sluice-core', 'bare-proxy', 'bare-socket', 'bare-uws', 'portkey'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface RunningTarget extends Target {
  pid: number;
}

const TSX = ['--import', 'tsx'];

export async function startUpstream(children: ChildProcess[]): Promise<number> {
  const up = spawnAndWait(process.execPath, [...TSX, ENTRY, '--fake-upstream'], /UPSTREAM_PORT=(\d+)/);
  children.push(up.child);
  return Number((await up.ready)[1]);
}

export function buildDist(): void {
  execFileSync(process.execPath, ['bin/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

export interface StartOptions {
  names: readonly TargetName[];
  upstreamPort: number;
  dir: string;
  children: ChildProcess[];
  /** Extra node flags for the Sluice processes (e.g. --cpu-prof). */
  sluiceFlags?: string[];
  /** NODE_OPTIONS for the Sluice processes only (experiments such as GC flags). */
  nodeOptions?: string;
}

export async function startTargets(o: StartOptions): Promise<RunningTarget[]> {
  const snapshotFile = join(o.dir, 'snapshot.json');
  await writeFile(snapshotFile, JSON.stringify(benchSnapshot(o.upstreamPort)));
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
  const flags = o.sluiceFlags ?? [];
  const env: NodeJS.ProcessEnv = o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {};
  const port = String(o.upstreamPort);
  const out: RunningTarget[] = [];
  for (const name of o.names) {
    let spec: { args: string[]; pattern: RegExp; env?: NodeJS.ProcessEnv; headers: Record<string, string> };
    let origin: string | null = null;
    switch (name) {
      case 'sluice':
        spec = {
          args: [...flags, 'dist/control-plane/cli/main.js', 'data-plane', '--snapshot', snapshotFile],
          pattern: /data plane on (http:\/\/[\d.]+:\d+)/,
          env: { ...env, SLUICE_LOG_LEVEL: 'info' },
          headers: auth,
        };
        spec.args.push('--port', '0', '--data-dir', o.dir);
        break;
      case 'sluice-core':
        spec = {
          args: [...flags, ...TSX, ENTRY, '--core-sluice', port],
          pattern: /core data plane on (http:\/\/[\d.]+:\d+)/,
          env,
          headers: auth,
        };
        break;
      case 'bare-proxy':
      case 'bare-socket':
      case 'bare-uws': {
        const mode =
          name === 'bare-socket' ? ['--bare-socket', port] : name === 'bare-proxy' ? ['--bare', port] : ['--bare'];
        spec = {
          args: [...TSX, ENTRY, ...mode],
          pattern: /BARE_URL=(\S+)/,
          headers: { 'content-type': 'application/json' },
        };
        break;
      }
      case 'portkey': {
        const pkg = dirname(createRequire(import.meta.url).resolve('@portkey-ai/gateway/package.json'));
        const portkeyPort = await freePort();
        origin = `http://127.0.0.1:${portkeyPort}`;
        spec = {
          args: [join(pkg, 'build/start-server.js'), `--port=${portkeyPort}`, '--headless'],
          pattern: /Ready for connections/,
          env: { NODE_ENV: 'production' },
          headers: portkeyHeaders(o.upstreamPort),
        };
        break;
      }
    }
    const c = spawnAndWait(process.execPath, spec.args, spec.pattern, spec.env ?? {}, name !== 'portkey');
    o.children.push(c.child);
    const match = await c.ready;
    out.push({ name, origin: origin ?? match[1]!, headers: spec.headers, pid: c.child.pid! });
  }
  return out;
}
