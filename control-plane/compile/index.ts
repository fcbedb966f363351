/**
 * Config directory → validated, checked, compiled snapshot. `ConfigCompiler` keeps per-file
 * parse results between runs, so a recompile after one edit re-parses only that file (the
 * cross-document checks and the snapshot build always see the whole config).
 */
import type { Snapshot } from '../../common/snapshot.js';
import { runChecks } from '../check/index.js';
import { buildIndex } from '../config/index.js';
import { Resolver } from '../config/resolve.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { ConfigLoader } from '../load/load-dir.js';
import { BuildCache } from './build-cache.js';
import { buildSnapshot } from './build-snapshot.js';

export interface CompileResult {
  ok: boolean;
  snapshot: Snapshot | null;
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  /** Clock for "effective today"/expiry checks; default Date.now. */
  now?: () => number;
  /** Provenance stored in snapshot.source (excluded from the version hash). */
  revision?: string;
}

export class ConfigCompiler {
  private readonly loader: ConfigLoader;
  private readonly cache = new BuildCache();

  constructor(
    readonly dir: string,
    private readonly options: CompileOptions = {},
  ) {
    this.loader = new ConfigLoader(dir);
  }

  /** Compiles the directory; `changed` (absolute paths) limits re-reading to those files. */
  async compile(changed?: readonly string[]): Promise<CompileResult> {
    const { config, diagnostics } = await this.loader.load(changed);
    const index = buildIndex(config);
    const resolver = new Resolver(index);
    const now = (this.options.now ?? Date.now)();
    const all = sortDiagnostics([...diagnostics, ...runChecks(index, resolver, now)]);
    if (config.files === 0 && !all.some((d) => d.rule === 'config/not-found')) {
      all.unshift({
        severity: 'error',
        rule: 'config/empty',
        message: `no *.yaml or *.yml files found in ${this.dir}`,
        file: null,
        line: 0,
        column: 0,
        path: '',
      });
    }
    if (hasErrors(all)) return { ok: false, snapshot: null, diagnostics: all };
    const source: Snapshot['source'] = {
      files: config.files,
      ...(this.options.revision ? { revision: this.options.revision } : {}),
    };
    return { ok: true, snapshot: buildSnapshot(index, resolver, source, this.cache), diagnostics: all };
  }
}

export async function compileConfigDir(dir: string, options?: CompileOptions): Promise<CompileResult> {
  return new ConfigCompiler(dir, options).compile();
}
