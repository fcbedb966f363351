/**
 * Reads a config directory (any folder layout, *.yaml / *.yml) into a ConfigSet. Keeps the
 * parse result of every file keyed by path + mtime + size so that a recompile after one edit
 * re-parses only the files that changed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ConfigSet, Loaded } from '../config/model.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { type FileResult, parseConfigFile } from './parse-file.js';

interface CachedFile {
  mtimeMs: number;
  size: number;
  result: FileResult;
}

export interface LoadResult {
  config: ConfigSet;
  diagnostics: Diagnostic[];
}

const SKIP_DIRS = new Set(['node_modules']);

/** Lists config files below `dir`, sorted; skips dot-folders/files and node_modules. */
export async function listConfigFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    if (!entry.isFile() || !/\.ya?ml$/i.test(entry.name)) continue;
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const rel = relative(dir, full);
    const parts = rel.split(sep);
    if (parts.some((p) => p.startsWith('.') || SKIP_DIRS.has(p))) continue;
    out.push(full);
  }
  return out.sort();
}

export class ConfigLoader {
  private readonly cache = new Map<string, CachedFile>();
  private files: string[] | null = null;

  constructor(readonly dir: string) {}

  /**
   * Loads the directory. Without `changed`, rescans the folder and re-parses files whose
   * mtime/size moved. With `changed` (absolute paths from a watcher), re-reads only those;
   * a path that no longer exists is dropped.
   */
  async load(changed?: readonly string[]): Promise<LoadResult> {
    if (!changed || this.files === null) {
      try {
        this.files = await listConfigFiles(this.dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
        this.files = null;
        this.cache.clear();
        const result = this.assemble([]);
        result.diagnostics.push({
          severity: 'error',
          rule: 'config/not-found',
          message: `config folder ${this.dir} does not exist or is not a folder`,
          file: null,
          line: 0,
          column: 0,
          path: '',
        });
        return result;
      }
      await Promise.all(this.files.map((f) => this.refresh(f, false)));
      const live = new Set(this.files);
      for (const path of this.cache.keys()) if (!live.has(path)) this.cache.delete(path);
    } else {
      const set = new Set(this.files);
      for (const path of changed) {
        if (!/\.ya?ml$/i.test(path)) continue;
        const exists = await this.refresh(path, true);
        if (exists) set.add(path);
        else {
          set.delete(path);
          this.cache.delete(path);
        }
      }
      this.files = [...set].sort();
    }
    return this.assemble(this.files);
  }

  /** Re-parses `path` if it changed (or `force`); returns false when the file is gone. */
  private async refresh(path: string, force: boolean): Promise<boolean> {
    let info: { mtimeMs: number; size: number };
    try {
      info = await stat(path);
    } catch {
      return false;
    }
    const cached = this.cache.get(path);
    if (!force && cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return true;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return false;
    }
    const rel = relative(this.dir, path).split(sep).join('/');
    this.cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, result: parseConfigFile(rel, text) });
    return true;
  }

  private assemble(files: readonly string[]): LoadResult {
    const config: ConfigSet = {
      organizations: [],
      teams: [],
      keys: [],
      providers: [],
      routes: [],
      pricing: [],
      cachePolicies: [],
      policies: [],
      gateways: [],
      files: files.length,
    };
    const diagnostics: Diagnostic[] = [];
    for (const file of files) {
      const cached = this.cache.get(file);
      if (!cached) continue;
      diagnostics.push(...cached.result.diagnostics);
      for (const loaded of cached.result.docs) addDoc(config, loaded);
    }
    return { config, diagnostics };
  }
}

function addDoc(config: ConfigSet, loaded: Loaded): void {
  const { doc, source } = loaded;
  switch (doc.kind) {
    case 'Organization':
      config.organizations.push({ doc, source });
      break;
    case 'Team':
      config.teams.push({ doc, source });
      break;
    case 'Key':
      config.keys.push({ doc, source });
      break;
    case 'Provider':
      config.providers.push({ doc, source });
      break;
    case 'Route':
      config.routes.push({ doc, source });
      break;
    case 'Pricing':
      config.pricing.push({ doc, source });
      break;
    case 'CachePolicy':
      config.cachePolicies.push({ doc, source });
      break;
    case 'Policy':
      config.policies.push({ doc, source });
      break;
    case 'Gateway':
      config.gateways.push({ doc, source });
      break;
  }
}
