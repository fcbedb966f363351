/** Loads a compiled snapshot file (`sluice compile` output) into the store, and reloads it on change. */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { SnapshotStore } from './store.js';

export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

/** Start-up load: a missing, unparsable or invalid file is fatal (better than serving nothing). */
export async function loadSnapshotFile(store: SnapshotStore, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SnapshotFileError(`cannot read snapshot file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFileError(`snapshot file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const result = store.offer(json);
  if (!result.ok) throw new SnapshotFileError(`snapshot file ${path} is invalid: ${result.reason}`);
  return result.version;
}

export interface FileWatcher {
  close(): void;
}

/**
 * Reloads the snapshot file when it changes (e.g. `sluice compile -o` again), validated like a
 * push: a bad file is logged and the last good snapshot keeps serving. The folder is watched, not
 * the file, so editors and atomic renames (write temp + rename) are seen too.
 */
export function watchSnapshotFile(
  store: SnapshotStore,
  path: string,
  logger: Pick<Logger, 'info' | 'error'>,
  debounceMs = 100,
): FileWatcher {
  const file = basename(path);
  let timer: NodeJS.Timeout | null = null;
  let lastText: string | null = null;
  const reload = async () => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return; // Mid-rename or deleted: the next event (or none) decides.
    }
    if (text === lastText) return;
    lastText = text;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      logger.error({ path, err: (err as Error).message }, 'snapshot file is not valid JSON; keeping the last good one');
      return;
    }
    const result = store.offer(json);
    if (result.ok) {
      if (result.changed) logger.info({ path, version: result.version }, 'snapshot file reloaded');
    } else {
      logger.error(
        { path, version: result.version, reason: result.reason, serving: store.current()?.version ?? null },
        'snapshot file rejected; keeping the last good one',
      );
    }
  };
  const watcher = watch(dirname(path), (_event, name) => {
    if (name !== null && name !== file) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  });
  watcher.on('error', (err) => logger.error({ path, err: err.message }, 'snapshot file watch failed'));
  void readFile(path, 'utf8').then(
    (t) => {
      lastText ??= t;
    },
    () => {},
  );
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
