/**
 * The control plane's current snapshot and its compile loop: compiles serialize, an invalid
 * config never replaces the last good snapshot, and every new version is handed to `onNew`.
 */
import type pino from 'pino';
import type { Snapshot } from '../../common/snapshot.js';
import { ConfigCompiler } from '../compile/index.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatText } from '../diagnostics/format.js';

export interface CompileReport {
  ok: boolean;
  at: number;
  durationMs: number;
  /** Version the compile produced (null when invalid). */
  version: string | null;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
}

export class ConfigState {
  current: Snapshot | null = null;
  /** Where the current snapshot came from. */
  origin: 'config' | 'apply' | null = null;
  lastCompile: CompileReport | null = null;
  private readonly compiler: ConfigCompiler;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly log: pino.Logger,
    private readonly onNew: (snapshot: Snapshot) => void,
  ) {
    this.compiler = new ConfigCompiler(dir);
  }

  /** Queues a compile (after any running one); resolves when it is done. */
  recompile(changed?: string[]): Promise<void> {
    this.chain = this.chain
      .then(() => this.compileNow(changed))
      .catch((err: unknown) => {
        this.log.error({ err }, 'compile crashed; keeping the last good snapshot');
      });
    return this.chain;
  }

  /** Installs a snapshot pushed with `sluice apply`. Returns false when it is already current. */
  apply(snapshot: Snapshot): boolean {
    if (this.current?.version === snapshot.version) return false;
    this.install(snapshot, 'apply');
    return true;
  }

  private async compileNow(changed?: string[]): Promise<void> {
    const started = performance.now();
    const result = await this.compiler.compile(changed);
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    this.lastCompile = {
      ok: result.ok,
      at: Date.now(),
      durationMs: Math.round(performance.now() - started),
      version: result.snapshot?.version ?? null,
      errors,
      warnings: result.diagnostics.length - errors,
      diagnostics: result.diagnostics,
    };
    if (!result.ok || !result.snapshot) {
      this.log.error(
        { errors, keptVersion: this.current?.version ?? null },
        `config invalid; keeping the last good snapshot\n${formatText(result.diagnostics, this.dir)}`,
      );
      return;
    }
    if (result.diagnostics.length > 0) this.log.warn(formatText(result.diagnostics, this.dir));
    if (this.current?.version === result.snapshot.version) {
      this.log.info({ version: result.snapshot.version }, 'config recompiled; snapshot unchanged');
      return;
    }
    this.install(result.snapshot, 'config');
  }

  private install(snapshot: Snapshot, origin: 'config' | 'apply'): void {
    const previous = this.current?.version ?? null;
    this.current = snapshot;
    this.origin = origin;
    this.log.info({ version: snapshot.version, previous, origin }, 'new snapshot');
    this.onNew(snapshot);
  }
}
