/**
 * Proxy overhead benchmark: direct-to-upstream vs through Sluice vs through the Portkey gateway,
 * interleaved in one run against one fast fake OpenAI-format upstream (uWebSockets.js, JSON + SSE).
 *
 *   node --import tsx bench/proxy.ts [--rounds 3] [--seconds 3] [--latency-requests 400]
 *
 * Sluice runs as its own process (`sluice data-plane --snapshot …`) with auth, guardrails (PII +
 * blocked terms), limits (rpm/tpm + budgets on key/team/org) and cost recording (SQLite ledger)
 * all on; cache off so every request reaches the upstream. Portkey runs as its own process
 * (`@portkey-ai/gateway` start-server.js) with x-portkey-provider: openai + x-portkey-custom-host.
 * The load generator (undici Pool) runs here. Figures:
 *   - RPS at 32 connections (non-streaming);
 *   - p50/p99 latency at 1 connection, and what each proxy adds over direct;
 *   - streaming time to first byte (first SSE data chunk) at 1 connection.
 * Goals on a 2-core machine: ≥15× Portkey's RPS, ≤0.1 ms added p50, ≤0.5 ms added TTFB.
 * Two reference targets isolate where time goes: sluice-core (server core + auth, bare undici
 * stage) and bare-proxy (uWS in, one undici call, no gateway logic: the floor of a proxy hop).
 *
 *   node --import tsx bench/proxy.ts --cpu [--requests 10000] [--connections 8] [--rounds 3]
 *                                          [--only sluice,portkey] [--prof DIR]
 *
 * CPU mode: wall-clock figures are noise on a shared, loaded machine, CPU time per request is not.
 * Each target's process CPU time (all threads, and its main thread alone) is read from
 * /proc/<pid>/task/<tid>/schedstat before and after a fixed number of requests (Linux only);
 * `--prof DIR` runs the Sluice processes with --cpu-prof.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { keyRecord, makeSnapshot, node, provider, route } from '../test/helpers/snapshot.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'sk-sluice-bench-0123456789abcdef';
const BODY = JSON.stringify({
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Say hello to the benchmark, politely and briefly.' }],
  max_tokens: 16,
});
const STREAM_BODY = JSON.stringify({ ...JSON.parse(BODY), stream: true, stream_options: { include_usage: true } });

// ───────────────────────── child mode: the fake upstream ─────────────────────────

async function runFakeUpstream(): Promise<void> {
  const { uWS } = await import('../data-plane/server/uws.js');
  const completion = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, benchmark!' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 },
  });
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const sse =
    chunk({ role: 'assistant', content: '' }, null) +
    chunk({ content: 'Hello, ' }, null) +
    chunk({ content: 'benchmark!' }, null) +
    chunk({}, 'stop') +
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [], usage: { prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 } })}\n\n` +
    'data: [DONE]\n\n';
  const app = uWS.App();
  app.post('/*', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    let body = '';
    res.onData((ab, last) => {
      body += Buffer.from(ab).toString();
      if (!last || aborted) return;
      const stream = body.includes('"stream":true');
      res.cork(() => {
        res.writeStatus('200 OK');
        res.writeHeader('content-type', stream ? 'text/event-stream' : 'application/json');
        res.end(stream ? sse : completion);
      });
    });
  });
  app.listen('127.0.0.1', 0, (ls) => {
    if (!ls) throw new Error('fake upstream could not listen');
    console.log(`UPSTREAM_PORT=${uWS.us_socket_local_port(ls as never)}`);
  });
}

// ─────────────── child mode: Sluice's server core with a bare proxy stage ───────────────
// Isolates what the HTTP layer + auth cost from what the full stage pipeline costs. Not a product
// path: the real upstream stage (router, retries, circuit breakers, adapters) is measured above.

async function runCoreSluice(upstreamPort: number): Promise<void> {
  const { startDataPlane } = await import('../data-plane/main.js');
  const { compose } = await import('../data-plane/pipeline/types.js');
  const { createAuthStage } = await import('../data-plane/stages/auth.js');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64 });
  const { createLogger } = await import('../data-plane/observability/logger.js');
  const logger = createLogger({ logLevel: 'info', replicaId: 'bench-core' });
  const auth = createAuthStage({ logger } as never);
  const proxy = {
    name: 'bare-proxy',
    run: async (ctx: import('../data-plane/pipeline/types.js').RequestContext) => {
      const r = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ctx.body),
        signal: ctx.signal,
      });
      if (!ctx.stream) return { type: 'json' as const, status: r.statusCode, body: await r.body.json() };
      async function* chunks() {
        let buf = '';
        for await (const piece of r.body) {
          buf += piece.toString();
          let i = buf.indexOf('\n\n');
          while (i >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (frame.startsWith('data: ') && frame !== 'data: [DONE]') yield JSON.parse(frame.slice(6));
            i = buf.indexOf('\n\n');
          }
        }
      }
      return { type: 'stream' as const, chunks: chunks() };
    },
  };
  const snapshot = benchSnapshot(upstreamPort);
  const dp = await startDataPlane(
    {
      ...(await import('../data-plane/config.js')).dataPlaneConfigFromEnv(),
      port: 0,
      snapshotFile: null,
      controlPlaneUrl: null,
    },
    {
      snapshot,
      logger,
      pipeline: { run: compose([auth, proxy]), stages: [], adminRoutes: [], clientRoutes: [], close: async () => {} },
    },
  );
  console.error(`core data plane on ${dp.url}`);
  // A normal exit on SIGTERM, so `--cpu-prof` (bench --cpu --prof) can write its profile.
  process.once('SIGTERM', () => process.exit(0));
}

// ───────────── child modes: floors for the CPU comparison (`--cpu`) ─────────────
// bare-uws: uWS + body collection + JSON.parse + a canned JSON answer (no upstream call).
// bare-proxy: the same plus one undici call to the fake upstream, body passed through as text.

async function runBare(upstreamPort: number | null): Promise<void> {
  const { uWS } = await import('../data-plane/server/uws.js');
  const pool = upstreamPort ? new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64 }) : null;
  const canned = { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [], usage: {} };
  const app = uWS.App();
  app.post('/*', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const parts: Buffer[] = [];
    res.onData((ab, last) => {
      parts.push(Buffer.from(new Uint8Array(ab)));
      if (!last) return;
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { model: string };
      const answer = (text: string) => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus('200 OK');
          res.writeHeader('content-type', 'application/json');
          res.end(text);
        });
      };
      if (!pool) return answer(JSON.stringify({ ...canned, model: body.model }));
      pool
        .request({
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        .then((r) => r.body.text())
        .then(answer, () => answer('{}'));
    });
  });
  app.listen('127.0.0.1', 0, (ls) => {
    if (!ls) throw new Error('bare server could not listen');
    console.error(`BARE_URL=http://127.0.0.1:${uWS.us_socket_local_port(ls as never)}`);
  });
}

// ───────────────────────── processes ─────────────────────────

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `quietStdout`: per-request log lines go to /dev/null (the bench process must not be their reader). */
function spawnAndWait(cmd: string, args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}, quietStdout = false) {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', quietStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        // Stop accumulating; keep draining so a chatty child never blocks on a full pipe.
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
    setTimeout(() => reject(new Error(`timeout starting ${args.join(' ')}:\n${out}`)), 30_000).unref();
  });
  return { child, ready };
}

function benchSnapshot(upstreamPort: number) {
  const big = { rpm: 10_000_000, tpm: 10_000_000_000, tpd: null, maxConcurrent: null };
  const budget = { amountMicros: 1_000_000_000_000, period: 'monthly' as const, timezone: 'UTC' };
  return makeSnapshot({
    version: 'v-bench',
    nodes: [
      node('org:acme', { limits: big, budget }),
      node('team:search', { parent: 'org:acme', limits: big, budget }),
      node('key:bench', { parent: 'team:search', limits: big, budget }),
    ],
    keys: [keyRecord(KEY, { name: 'bench', guardrails: ['bench-guard'] })],
    providers: [provider('fake', `http://127.0.0.1:${upstreamPort}/v1`, { maxConnections: 64 })],
    routes: [
      route('bench-model', {
        targets: [{ provider: 'fake', model: 'bench-model', weight: 1, contextWindow: 128_000 }],
      }),
    ],
    pricing: {
      'fake/bench-model': [
        {
          effectiveFrom: Date.UTC(2024, 0, 1),
          inputPico: 150_000,
          outputPico: 600_000,
          cachedInputPico: 75_000,
          cacheWritePico: 187_500,
        },
      ],
    },
    guardrails: {
      'bench-guard': {
        id: 'bench-guard',
        pii: { email: 'redact', phone: 'redact', creditCard: 'block', nationalId: 'redact' },
        blockedTerms: ['forbidden-term'],
        blockedTermsAction: 'block',
        maxInputTokens: 8_000,
      },
    },
  });
}

function portkeyHeaders(upstreamPort: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: 'Bearer sk-upstream',
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `http://127.0.0.1:${upstreamPort}/v1`,
  };
}

// ───────────────────────── load generation ─────────────────────────

interface Target {
  name: string;
  origin: string;
  headers: Record<string, string>;
}

async function expectOk(t: Target, pool: Pool, body: string): Promise<void> {
  const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: t.headers, body });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`${t.name} answered ${r.statusCode}: ${text.slice(0, 300)}`);
}

async function measureRps(t: Target, seconds: number, connections: number): Promise<number> {
  const pool = new Pool(t.origin, { connections, pipelining: 1 });
  let done = 0;
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: t.headers, body: BODY });
      await r.body.dump();
      if (r.statusCode === 200) done++;
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  if (errors > 0) console.error(`  ${t.name}: ${errors} non-200 answers during the RPS phase`);
  return done / elapsed;
}

async function measureLatency(t: Target, n: number): Promise<number[]> {
  const pool = new Pool(t.origin, { connections: 1 });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: t.headers, body: BODY });
    await r.body.dump();
    out.push(performance.now() - t0);
  }
  await pool.close();
  return out;
}

async function measureTtfb(t: Target, n: number): Promise<number[]> {
  const pool = new Pool(t.origin, { connections: 1 });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: t.headers,
      body: STREAM_BODY,
    });
    let first = true;
    for await (const _ of r.body) {
      if (first) {
        out.push(performance.now() - t0);
        first = false;
      }
    }
  }
  await pool.close();
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

// ───────────────────────── main ─────────────────────────

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '3' },
      'latency-requests': { type: 'string', default: '400' },
      'no-portkey': { type: 'boolean', default: false },
    },
  });
  const loadBefore = loadavg()[0];
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const latencyN = Number(values['latency-requests']);
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const tsx = ['--import', 'tsx'];
  try {
    const up = spawnAndWait(process.execPath, [...tsx, 'bench/proxy.ts', '--fake-upstream'], /UPSTREAM_PORT=(\d+)/);
    children.push(up.child);
    const upstreamPort = Number((await up.ready)[1]);

    const snapshotFile = join(dir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(benchSnapshot(upstreamPort)));
    const sluice = spawnAndWait(
      process.execPath,
      [...tsx, 'control-plane/cli/main.ts', 'data-plane', '--snapshot', snapshotFile, '--port', '0', '--data-dir', dir],
      /data plane on (http:\/\/[\d.]+:\d+)/,
      { SLUICE_LOG_LEVEL: 'info' },
      true,
    );
    children.push(sluice.child);
    const sluiceUrl = (await sluice.ready)[1];

    const core = spawnAndWait(
      process.execPath,
      [...tsx, 'bench/proxy.ts', '--core-sluice', String(upstreamPort)],
      /core data plane on (http:\/\/[\d.]+:\d+)/,
      {},
      true,
    );
    children.push(core.child);
    const coreUrl = (await core.ready)[1];

    const bare = spawnAndWait(
      process.execPath,
      [...tsx, 'bench/proxy.ts', '--bare', String(upstreamPort)],
      /BARE_URL=(\S+)/,
      {},
      true,
    );
    children.push(bare.child);
    const bareUrl = (await bare.ready)[1]!;

    const targets: Target[] = [
      {
        name: 'direct',
        origin: `http://127.0.0.1:${upstreamPort}`,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
      },
      {
        name: 'sluice',
        origin: sluiceUrl,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      },
      {
        name: 'sluice-core',
        origin: coreUrl,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      },
      // The floor of any proxy hop here: uWS in, one undici call, body passed through as text.
      { name: 'bare-proxy', origin: bareUrl, headers: { 'content-type': 'application/json' } },
    ];
    if (!values['no-portkey']) {
      const require = createRequire(import.meta.url);
      const pkg = dirname(require.resolve('@portkey-ai/gateway/package.json'));
      const portkeyPort = await freePort();
      const portkey = spawnAndWait(
        process.execPath,
        [join(pkg, 'build/start-server.js'), `--port=${portkeyPort}`, '--headless'],
        /Ready for connections/,
        {
          NODE_ENV: 'production',
        },
      );
      children.push(portkey.child);
      await portkey.ready;
      targets.push({
        name: 'portkey',
        origin: `http://127.0.0.1:${portkeyPort}`,
        headers: portkeyHeaders(upstreamPort),
      });
    }

    // Correctness and warm-up (keep-alive pools, JIT) before anything is measured.
    for (const t of targets) {
      const pool = new Pool(t.origin, { connections: 4 });
      await expectOk(t, pool, BODY);
      await expectOk(t, pool, STREAM_BODY);
      await pool.close();
      await measureRps(t, 1, 32);
      await measureLatency(t, 100);
      await measureTtfb(t, 50);
    }

    const rps: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    const lat: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    const ttfb: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate the order each round so no target always runs first (thermal/GC drift).
      const order = targets.map((_, i) => targets[(i + r) % targets.length]);
      for (const t of order) {
        rps[t.name].push(await measureRps(t, seconds, 32));
        lat[t.name].push(...(await measureLatency(t, latencyN)));
        ttfb[t.name].push(...(await measureTtfb(t, Math.ceil(latencyN / 2))));
      }
      console.error(`round ${r + 1}/${rounds} done`);
    }

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const d = { p50: pct(lat.direct, 50), p99: pct(lat.direct, 99), ttfb: pct(ttfb.direct, 50) };
    const rows = targets.map((t) => {
      const p50 = pct(lat[t.name], 50);
      const p99 = pct(lat[t.name], 99);
      const tt = pct(ttfb[t.name], 50);
      return {
        target: t.name,
        rps: Math.round(mean(rps[t.name])),
        p50,
        p99,
        addedP50: p50 - d.p50,
        addedP99: p99 - d.p99,
        ttfb: tt,
        addedTtfb: tt - d.ttfb,
      };
    });
    const f = (x: number) => x.toFixed(3);
    const lines = [
      `| target | RPS @32 conn | p50 ms @1 | p99 ms @1 | added p50 ms | added p99 ms | stream TTFB p50 ms | added TTFB ms |`,
      `|---|---:|---:|---:|---:|---:|---:|---:|`,
      ...rows.map(
        (r) =>
          `| ${r.target} | ${r.rps} | ${f(r.p50)} | ${f(r.p99)} | ${r.target === 'direct' ? '—' : f(r.addedP50)} | ${r.target === 'direct' ? '—' : f(r.addedP99)} | ${f(r.ttfb)} | ${r.target === 'direct' ? '—' : f(r.addedTtfb)} |`,
      ),
    ];
    console.log(lines.join('\n'));
    const s = rows.find((r) => r.target === 'sluice')!;
    const p = rows.find((r) => r.target === 'portkey');
    console.log('');
    if (p) console.log(`Sluice/Portkey RPS: ${(s.rps / p.rps).toFixed(1)}× (goal ≥ 15×)`);
    console.log(
      `Sluice added p50: ${f(s.addedP50)} ms (goal ≤ 0.1 ms); added TTFB: ${f(s.addedTtfb)} ms (goal ≤ 0.5 ms)`,
    );
    console.log(
      `rounds=${rounds} seconds=${seconds} latency-requests=${latencyN} cpus=${cpus().length} node=${process.version} ` +
        `loadavg(1m) before=${loadBefore.toFixed(1)} after=${loadavg()[0].toFixed(1)}`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

// ───────────────────────── CPU mode (`--cpu`) ─────────────────────────
// On a shared, loaded machine wall-clock figures are noise; CPU time per request is not. Each
// target runs as its own process; its CPU time (all threads, and the main thread alone, from
// /proc/<pid>/task/*/schedstat, ns resolution) is read before and after a fixed number of requests.

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

async function mainCpu(): Promise<void> {
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
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-cpu-'));
  const tsx = ['--import', 'tsx'];
  const prof = values.prof ? ['--cpu-prof', `--cpu-prof-dir=${values.prof}`] : [];
  try {
    const up = spawnAndWait(process.execPath, [...tsx, 'bench/proxy.ts', '--fake-upstream'], /UPSTREAM_PORT=(\d+)/);
    children.push(up.child);
    const upstreamPort = Number((await up.ready)[1]);
    const snapshotFile = join(dir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(benchSnapshot(upstreamPort)));
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
    let portkeyOrigin = '';
    const specs: { name: string; args: string[]; pattern: RegExp }[] = [
      { name: 'bare-uws', args: [...tsx, 'bench/proxy.ts', '--bare'], pattern: /BARE_URL=(\S+)/ },
      {
        name: 'bare-proxy',
        args: [...tsx, 'bench/proxy.ts', '--bare', String(upstreamPort)],
        pattern: /BARE_URL=(\S+)/,
      },
      {
        name: 'sluice-core',
        args: [...prof, ...tsx, 'bench/proxy.ts', '--core-sluice', String(upstreamPort)],
        pattern: /core data plane on (http:\/\/[\d.]+:\d+)/,
      },
      {
        name: 'sluice',
        args: [...prof, ...tsx, 'control-plane/cli/main.ts', 'data-plane', '--snapshot', snapshotFile, '--port', '0'],
        pattern: /data plane on (http:\/\/[\d.]+:\d+)/,
      },
    ];
    {
      const require = createRequire(import.meta.url);
      const pkg = dirname(require.resolve('@portkey-ai/gateway/package.json'));
      const portkeyPort = await freePort();
      specs.push({
        name: 'portkey',
        args: [join(pkg, 'build/start-server.js'), `--port=${portkeyPort}`, '--headless'],
        pattern: /Ready for connections/,
      });
      portkeyOrigin = `http://127.0.0.1:${portkeyPort}`;
    }
    const only = values.only?.split(',');
    const targets: (Target & { pid: number })[] = [];
    for (const spec of specs) {
      if (only && !only.includes(spec.name)) continue;
      const portkey = spec.name === 'portkey';
      const args = portkey ? spec.args : [...spec.args, '--data-dir', dir];
      const env: NodeJS.ProcessEnv = portkey ? { NODE_ENV: 'production' } : {};
      // Experiments (e.g. GC flags) on the Sluice processes only.
      if (!portkey && values['node-options']) env.NODE_OPTIONS = values['node-options'];
      const c = spawnAndWait(process.execPath, args, spec.pattern, env, !portkey);
      children.push(c.child);
      const match = await c.ready;
      const origin = portkey ? portkeyOrigin : match[1]!;
      const headers = portkey ? portkeyHeaders(upstreamPort) : auth;
      targets.push({ name: spec.name, origin, headers, pid: c.child.pid! });
    }
    const upPid = up.child.pid!;
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
      `\nrequests=${n}×${rounds} rounds, ${conns} connections, median of rounds; loadavg(1m)=${loadavg()[0].toFixed(1)} node=${process.version}`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--core-sluice')) {
  runCoreSluice(Number(process.argv[process.argv.indexOf('--core-sluice') + 1])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (process.argv.includes('--bare')) {
  const port = Number(process.argv[process.argv.indexOf('--bare') + 1]);
  runBare(Number.isInteger(port) && port > 0 ? port : null).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (process.argv.includes('--cpu')) {
  mainCpu().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
} else if (process.argv.includes('--fake-upstream')) {
  runFakeUpstream().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
