/**
 * git-sync publishes a revision by pointing a symlink at a new worktree. The control plane
 * watching that symlink must pick up the new revision — including files that only exist there.
 */
import { cp, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneHandle, startControlPlane } from '../../control-plane/server/index.js';
import { EXAMPLES } from './helpers.js';

let root: string;
let handle: ControlPlaneHandle;

const NEW_ROUTE = `# yaml-language-server: $schema=../../schemas/sluice.schema.json
apiVersion: sluice/v1
kind: Route
name: added-by-sync
targets:
  - provider: simulated
    model: sim-chat
    weight: 1
`;

async function until(ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-gitsync-'));
  await cp(EXAMPLES, join(root, 'rev-1'), { recursive: true });
  await symlink(join(root, 'rev-1'), join(root, 'current'));
  handle = await startControlPlane({
    configDir: join(root, 'current'),
    port: 0,
    debounceMs: 50,
    logger: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await handle?.close();
  await rm(root, { recursive: true, force: true });
});

describe('config folder behind a swapped symlink (git-sync)', () => {
  it('compiles the new revision, including a file that exists only there', async () => {
    const before = handle.current()!;
    expect(before.routes['added-by-sync']).toBeUndefined();

    // Same steps as git-sync: new worktree, new link, atomic rename over the old link.
    await cp(EXAMPLES, join(root, 'rev-2'), { recursive: true });
    await writeFile(join(root, 'rev-2', 'added-route.yaml'), NEW_ROUTE);
    await symlink(join(root, 'rev-2'), join(root, 'current.tmp'));
    await rename(join(root, 'current.tmp'), join(root, 'current'));

    await until(() => handle.current()?.routes['added-by-sync'] !== undefined);
    expect(handle.current()!.version).not.toBe(before.version);
  });
});
