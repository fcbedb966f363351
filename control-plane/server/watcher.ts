/**
 * Watches the config folder and calls `onChange` once per burst of edits (debounced), with the
 * changed YAML paths — or `undefined` when a full rescan is due: folders appeared/disappeared, a
 * file was deleted, or the folder itself now resolves elsewhere. The last case is how git-sync
 * publishes a revision (it swaps a symlink to a new worktree), so new files there are picked up
 * without a restart.
 */
import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

export interface ConfigWatcher {
  close(): Promise<void>;
}

/** How often the folder's resolved path is checked for a symlink swap. */
const REALPATH_POLL_MS = 1_000;

const resolveOrNull = (dir: string): Promise<string | null> => realpath(dir).catch(() => null);

export async function watchConfig(
  dir: string,
  debounceMs: number,
  onChange: (changed: string[] | undefined) => void,
): Promise<ConfigWatcher> {
  let pending = new Set<string>();
  let rescan = false;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
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

  const start = async (): Promise<FSWatcher> => {
    const w = watch(dir, {
      ignoreInitial: true,
      ignored: (path: string) =>
        path.split(sep).some((p) => (p.startsWith('.') && p !== '.' && p !== '..') || p === 'node_modules'),
    });
    w.on('all', (event, path) => {
      // A deleted file may be one half of a swap whose other half is never reported: rescan.
      if (event === 'addDir' || event === 'unlinkDir' || event === 'unlink') rescan = true;
      else if (/\.ya?ml$/i.test(path)) pending.add(path);
      else return;
      schedule();
    });
    await new Promise<void>((resolve, reject) => {
      w.once('ready', () => resolve());
      w.once('error', reject);
    });
    return w;
  };

  let watcher = await start();
  let resolved = await resolveOrNull(dir);
  let polling = false;
  const poll = setInterval(async () => {
    if (polling || closed) return;
    polling = true;
    try {
      const now = await resolveOrNull(dir);
      if (now !== null && now !== resolved && !closed) {
        resolved = now;
        // The old target is gone or stale: watch the new one and recompile everything.
        const old = watcher;
        watcher = await start();
        await old.close();
        rescan = true;
        schedule();
      }
    } finally {
      polling = false;
    }
  }, REALPATH_POLL_MS);
  poll.unref();

  return {
    async close() {
      closed = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
