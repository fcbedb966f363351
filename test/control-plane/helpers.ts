import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const EXAMPLES = join(import.meta.dirname, '../../examples/config');

/** A private copy of examples/config in a temp dir; remove it with `cleanup`. */
export async function copyExamples(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-cp-'));
  const dir = join(root, 'config');
  await cp(EXAMPLES, dir, { recursive: true });
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Replaces exactly one occurrence of `from` in a file (fails loudly if it is not there once). */
export async function edit(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`expected exactly one "${from}" in ${file}, found ${count}`);
  await writeFile(file, text.replace(from, to));
}
