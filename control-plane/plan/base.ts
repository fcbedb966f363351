/**
 * Resolves `plan --base`: an existing folder is used as is; anything else is a git revision,
 * whose copy of the config folder is extracted with `git archive` into a temporary folder.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class BaseResolveError extends Error {
  override name = 'BaseResolveError';
}

export interface ResolvedBase {
  dir: string;
  label: string;
  cleanup(): Promise<void>;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function resolveBase(base: string, headDir: string): Promise<ResolvedBase> {
  if (await isDir(base)) return { dir: base, label: base, cleanup: async () => {} };
  const cwd = resolve(headDir);
  const git = async (args: string[]) =>
    (await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' })).stdout;
  let prefix: string;
  try {
    await git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`]);
    prefix = (await git(['rev-parse', '--show-prefix'])).toString().trim();
  } catch {
    throw new BaseResolveError(
      `--base "${base}" is neither a folder nor a git revision of the repository containing ${headDir}`,
    );
  }
  const tmp = await mkdtemp(join(tmpdir(), 'sluice-plan-'));
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    const tar = join(tmp, 'base.tar');
    // An empty prefix (config at the repo root) archives the whole tree.
    const paths = prefix ? [prefix] : [];
    try {
      await run('git', ['archive', '--format=tar', '-o', tar, base, '--', ...paths], { cwd });
    } catch {
      // The folder did not exist at that revision: everything in head is new.
      const empty = join(tmp, 'empty');
      await mkdir(empty);
      return { dir: empty, label: `${base} (folder absent)`, cleanup };
    }
    const out = join(tmp, 'tree');
    await mkdir(out);
    await run('tar', ['-xf', tar, '-C', out]);
    return { dir: join(out, prefix), label: base, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
