/**
 * Watches the config folder and calls `onChange` once per burst of edits (debounced), with the
 * changed YAML paths — or `undefined` when folders appeared/disappeared and a full rescan is due.
 */
import { sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

export interface ConfigWatcher {
  close(): Promise<void>;
}

export async function watchConfig(
  dir: string,
  debounceMs: number,
  onChange: (changed: string[] | undefined) => void,
): Promise<ConfigWatcher> {
  let pending = new Set<string>();
  let rescan = false;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    const changed = rescan ? undefined : [...pending];
    pending = new Set();
    rescan = false;
    onChange(changed);
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    ignored: (path: string) =>
      path.split(sep).some((p) => (p.startsWith('.') && p !== '.' && p !== '..') || p === 'node_modules'),
  });
  watcher.on('all', (event, path) => {
    if (event === 'addDir' || event === 'unlinkDir') rescan = true;
    else if (/\.ya?ml$/i.test(path)) pending.add(path);
    else return;
    schedule();
  });
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', () => resolve());
    watcher.once('error', reject);
  });
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
