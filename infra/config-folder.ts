import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';

/** One YAML file of the config repository, as shipped in the control plane's ConfigMap. */
export interface ConfigFile {
  /** Path relative to the config folder, with "/" separators, e.g. "teams/ml.yaml". */
  path: string;
  /** ConfigMap data key: keys may not contain "/", so nested paths are flattened with "__". */
  key: string;
  content: string;
}

/**
 * A ConfigMap holds at most 1 MiB (etcd's object limit). Bigger config repos must use git-sync mode;
 * we fail at program time instead of letting the API server reject the object mid-update.
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024 - 16 * 1024;

export class ConfigFolderError extends Error {
  override name = 'ConfigFolderError';
}

const YAML_FILE = /\.ya?ml$/i;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** Maps a relative path to a ConfigMap key; the volume's `items` maps it back to the path. */
export function configMapKey(path: string): string {
  const key = path.split('/').join('__');
  if (!CONFIGMAP_KEY.test(key) || key.length > 253) {
    throw new ConfigFolderError(
      `config file '${path}' cannot be stored in a ConfigMap: names may only use letters, digits, '-', '_' and '.' (max 253 characters)`,
    );
  }
  return key;
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Dot-folders (.git, .github) and dotfiles are repository plumbing, not config.
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out);
    else if (entry.isFile() && YAML_FILE.test(entry.name)) out.push(relative(root, full).split(sep).join('/'));
  }
}

/** Reads every YAML file of a config folder (recursively, sorted by path so the ConfigMap is stable). */
export function readConfigFolder(dir: string): ConfigFile[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(dir);
  } catch {
    throw new ConfigFolderError(`config folder '${dir}' does not exist (stack config 'configDir')`);
  }
  if (!stat.isDirectory()) throw new ConfigFolderError(`config folder '${dir}' is not a directory`);
  const paths: string[] = [];
  walk(dir, dir, paths);
  paths.sort();
  if (paths.length === 0) throw new ConfigFolderError(`config folder '${dir}' contains no .yaml/.yml files`);
  const files = paths.map((path) => ({
    path,
    key: configMapKey(path),
    content: readFileSync(join(dir, path), 'utf8'),
  }));
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.key);
    if (other) throw new ConfigFolderError(`config files '${other}' and '${f.path}' map to the same ConfigMap key`);
    seen.set(f.key, f.path);
  }
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.key) + Buffer.byteLength(f.content), 0);
  if (bytes > CONFIGMAP_MAX_BYTES) {
    throw new ConfigFolderError(
      `config folder '${dir}' is ${bytes} bytes, more than a ConfigMap can hold (${CONFIGMAP_MAX_BYTES}); use controlPlane.configSource.mode=git-sync`,
    );
  }
  return files;
}

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

function collectEnvRefs(node: unknown, out: Set<string>): void {
  if (isScalar(node)) {
    if (typeof node.value === 'string') {
      const m = ENV_REF.exec(node.value.trim());
      if (m) out.add(m[1]);
    }
  } else if (isMap(node)) {
    for (const pair of node.items) collectEnvRefs(pair.value, out);
  } else if (isSeq(node)) {
    for (const item of node.items) collectEnvRefs(item, out);
  }
}

/**
 * The environment variables the config refers to with `env:NAME` (provider credentials, alert
 * webhooks). The data plane resolves them at run time, so each must be set on its pods.
 * Syntax errors are the control plane's to report (`sluice validate`); here they only stop the scan.
 */
export function envReferences(files: ConfigFile[]): string[] {
  const names = new Set<string>();
  for (const file of files) {
    for (const doc of parseAllDocuments(file.content)) {
      if (doc.errors.length > 0) {
        const first = doc.errors[0];
        throw new ConfigFolderError(`config file '${file.path}' is not valid YAML: ${first.message}`);
      }
      collectEnvRefs(doc.contents, names);
    }
  }
  return [...names].sort();
}
