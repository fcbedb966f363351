/**
 * Load generation. RPS and latency come from wrk (C, `apt-get install wrk`) when it is on PATH:
 * a JavaScript load generator on this 2-core machine burns as much CPU per request as the proxy
 * under test and so caps every target's RPS. Without wrk, an undici Pool in this process does the
 * same measurements (the output says which). Streaming TTFB always uses undici: wrk cannot time
 * the first body byte.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { BODY, STREAM_BODY, type Target } from './shared.js';

const run = promisify(execFile);
// A target that stops answering fails the run within seconds, naming itself (not undici's 300 s).
const TIMEOUTS = { headersTimeout: 30_000, bodyTimeout: 30_000 };

export async function named<T>(t: Target, phase: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new Error(`${t.name}: ${phase} failed: ${(err as Error).message}`, { cause: err });
  }
}

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version; only "not found" means absent.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export interface LoadFigures {
  rps: number;
  /** Latency percentiles in ms (from wrk's histogram, or every sample with undici). */
  p50: number;
  p99: number;
  errors: number;
}

const luaString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function wrkScript(t: Target, body: string, dir: string): string {
  const path = join(dir, `${t.name}.lua`);
  const lines = [`wrk.method = "POST"`, `wrk.body = ${luaString(body)}`];
  for (const [k, v] of Object.entries(t.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
function parseDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk: unreadable duration ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export async function wrk(t: Target, connections: number, seconds: number, dir: string): Promise<LoadFigures> {
  const script = wrkScript(t, BODY, dir);
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script];
  const { stdout } = await run('wrk', [...args, `${t.origin}/v1/chat/completions`]);
  const pick = (re: RegExp) => {
    const m = re.exec(stdout);
    if (!m) throw new Error(`wrk output not understood:\n${stdout}`);
    return m[1]!;
  };
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const sockErr = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: Number(pick(/Requests\/sec:\s+([\d.]+)/)),
    p50: parseDuration(pick(/\s50%\s+(\S+)/)),
    p99: parseDuration(pick(/\s99%\s+(\S+)/)),
    errors: errors + sockErr,
  };
}

export async function undiciRps(t: Target, seconds: number, connections: number): Promise<LoadFigures> {
  const pool = new Pool(t.origin, { connections, pipelining: 1, ...TIMEOUTS });
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
  return { rps: done / elapsed, p50: Number.NaN, p99: Number.NaN, errors };
}

/** Sequential requests on one connection; every sample in ms. */
export async function undiciLatency(t: Target, n: number): Promise<number[]> {
  const pool = new Pool(t.origin, { connections: 1, ...TIMEOUTS });
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

/** Time to the first body chunk of a streamed completion, one connection; every sample in ms. */
export async function undiciTtfb(t: Target, n: number): Promise<number[]> {
  const pool = new Pool(t.origin, { connections: 1, ...TIMEOUTS });
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

export async function expectOk(t: Target, body: string): Promise<void> {
  const pool = new Pool(t.origin, { connections: 1, ...TIMEOUTS });
  const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: t.headers, body });
  const text = await r.body.text();
  await pool.close();
  if (r.statusCode !== 200) throw new Error(`${t.name} answered ${r.statusCode}: ${text.slice(0, 300)}`);
}
