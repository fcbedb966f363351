/**
 * One supervised child process of the local cluster: its output is prefixed ("[dp-1] …") or
 * kept quiet, the last lines are remembered for error messages, readiness is a line matching a
 * pattern, and stop() escalates SIGTERM → SIGKILL so nothing outlives the launcher.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const TAIL_LINES = 60;

export interface ChildSpec {
  /** Short name used as the output prefix, e.g. "cp" or "dp-1". */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Print the child's output (prefixed) on the launcher's stderr. */
  echo: boolean;
  /** The child runs a grandchild in its process group (supervise.ts): kill the group even after the child exited. */
  supervisor?: boolean;
}

export class ChildExitedError extends Error {
  override name = 'ChildExitedError';
}

export class Child {
  readonly process: ChildProcess;
  private readonly lines: string[] = [];
  private readonly watchers = new Set<(line: string) => void>();
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;

  constructor(readonly spec: ChildSpec) {
    this.process = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each
      // child once (a second signal would make a data plane skip its graceful drain).
      detached: true,
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      // spawn failures (ENOENT) emit 'error' and never 'exit'.
      this.process.once('error', (err) => {
        this.remember(`spawn failed: ${err.message}`);
        resolve('spawn-error');
      });
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.remember(line));
    }
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined;
  }

  /** The last lines of output, for error messages. */
  tail(n = 20): string {
    return this.lines.slice(-n).join('\n');
  }

  private remember(line: string): void {
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    if (this.spec.echo) process.stderr.write(`[${this.spec.name}] ${line}\n`);
    for (const w of this.watchers) w(line);
  }

  /** Resolves with the first match of `pattern` in a line of output; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        this.watchers.delete(watch);
        fn();
      };
      const watch = (line: string) => {
        const m = pattern.exec(line);
        if (m) settle(() => resolve(m));
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`${this.spec.name} not ready within ${timeoutMs} ms:\n${this.tail()}`))),
        timeoutMs,
      );
      this.watchers.add(watch);
      void this.exited.then((code) =>
        settle(() => reject(new ChildExitedError(`${this.spec.name} exited (${code}):\n${this.tail()}`))),
      );
    });
  }

  /** Sends `signal`; a child still alive after `graceMs` is SIGKILLed. Resolves once it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (!this.running) {
      await this.exited;
      return;
    }
    this.process.kill(signal);
    const timer = setTimeout(() => this.killNow(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILLs the child's whole process group (a supervised redis-server too). Synchronous. */
  killNow(): void {
    const pid = this.process.pid;
    if (pid === undefined || (!this.running && !this.spec.supervisor)) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  }
}
