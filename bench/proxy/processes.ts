/** Child processes of the bench: start one and wait for the line that says where it listens. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { ROOT } from './shared.js';

export async function freePort(): Promise<number> {
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
export function spawnAndWait(
  cmd: string,
  args: string[],
  pattern: RegExp,
  env: NodeJS.ProcessEnv = {},
  quietStdout = false,
  timeoutMs = 30_000,
): { child: ChildProcess; ready: Promise<RegExpExecArray> } {
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
    setTimeout(() => reject(new Error(`timeout starting ${args.join(' ')}:\n${out}`)), timeoutMs).unref();
  });
  return { child, ready };
}

export async function stopAll(children: ChildProcess[], graceMs: number): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, graceMs));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
