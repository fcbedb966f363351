/** Loads a compiled snapshot file (`sluice compile` output) into the store. */
import { readFile } from 'node:fs/promises';
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
