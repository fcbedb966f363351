/**
 * Runs the workflow's `sluice validate` and `sluice plan` lines exactly as written (same shell, same
 * quoting, same redirection) against examples/config, inside a git clone laid out like a config
 * repository (config/ + an `origin` whose main branch is the base), so `origin/$BASE_REF` is real.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { evaluateEnv, loadWorkflow, REPO_ROOT, type SluiceCommand, sluiceCommands } from './workflow.js';

const EXAMPLES = join(REPO_ROOT, 'examples', 'config');
// The CLI commands are being written in parallel; the lead turns these guards off once they land.
const hasValidate = existsSync(join(REPO_ROOT, 'control-plane', 'cli', 'commands', 'validate.ts'));
const hasPlan = existsSync(join(REPO_ROOT, 'control-plane', 'cli', 'commands', 'plan.ts'));
const hasApply =
  existsSync(join(REPO_ROOT, 'control-plane', 'cli', 'commands', 'apply.ts')) &&
  existsSync(join(REPO_ROOT, 'control-plane', 'cli', 'commands', 'control-plane.ts'));
/**
 * Each `sluice` run starts a fresh Node + tsx process (seconds on a loaded 2-core machine), so
 * these tests get generous timeouts.
 */
const SLOW = { timeout: 180_000 };
/** examples/config's demo admin token (its sha256 is in org.yaml's admin_key_hashes). */
const DEMO_ADMIN_TOKEN = 'sk-sluice-demo-admin';

const GITHUB_CONTEXT = { 'github.base_ref': 'main', 'vars.SLUICE_PACKAGE': '' };
const cmds = sluiceCommands(loadWorkflow());
const command = (job: string, sub: string): SluiceCommand => {
  const c = cmds.find((x) => x.job === job && x.subcommand === sub);
  if (!c) throw new Error(`workflow has no '${sub}' in job '${job}'`);
  return c;
};

let root: string;
let work: string;
let binDir: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

/** Runs one workflow line with bash, as the runner does (`bash -e {0}`), with `sluice` on PATH. */
function runLine(c: SluiceCommand, cwd: string, extraContext: Record<string, string> = {}, extraEnv = {}) {
  const env = {
    ...process.env,
    ...evaluateEnv(c.env, { ...GITHUB_CONTEXT, ...extraContext }),
    ...extraEnv,
    PATH: `${binDir}:${process.env.PATH}`,
  };
  return spawnSync('bash', ['-e', '-c', c.line], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/**
 * Halves the budget of the first virtual key that has one (a key has no children, so a smaller
 * budget stays valid) and returns the key's name, so the plan has a real change to show.
 */
function halveAKeyBudget(dir: string): string | null {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && /\.ya?ml$/.test(f.name))
    .map((f) => join(f.parentPath, f.name))
    .sort();
  for (const path of files) {
    const docs = parseAllDocuments(readFileSync(path, 'utf8'));
    if (!Array.isArray(docs)) continue;
    for (const doc of docs) {
      const amount = doc.getIn(['budget', 'amount']);
      if (doc.get('kind') !== 'Key' || typeof amount !== 'string' || !/^\d+(\.\d+)?$/.test(amount)) continue;
      const [whole, frac = ''] = amount.split('.');
      doc.setIn(['budget', 'amount'], `${Math.floor(Number(whole) / 2)}${frac ? `.${frac}` : ''}`);
      writeFileSync(path, docs.map((d) => d.toString()).join(''));
      return String(doc.get('name'));
    }
  }
  return null;
}

beforeAll(() => {
  if (!hasValidate && !hasPlan) return;
  root = mkdtempSync(join(tmpdir(), 'sluice-gitops-'));
  binDir = join(root, 'bin');
  mkdirSync(binDir);
  // What `npm install -g` would put on PATH, pointing at this checkout.
  writeFileSync(
    join(binDir, 'sluice'),
    `#!/bin/sh\nexec node ${JSON.stringify(join(REPO_ROOT, 'bin', 'sluice.js'))} "$@"\n`,
  );
  chmodSync(join(binDir, 'sluice'), 0o755);

  const seed = join(root, 'seed');
  mkdirSync(seed);
  git(seed, 'init', '-q', '-b', 'main');
  cpSync(EXAMPLES, join(seed, 'config'), { recursive: true });
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'config');
  git(root, 'clone', '-q', '--bare', seed, 'origin.git');
  git(root, 'clone', '-q', join(root, 'origin.git'), 'work');
  work = join(root, 'work');
  git(work, 'checkout', '-q', '-b', 'pr');
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!hasValidate)('workflow `sluice validate` as written', SLOW, () => {
  it('passes on examples/config with no annotations', () => {
    const r = runLine(command('plan', 'validate'), work);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).not.toMatch(/^::error/m);
  });

  it('fails with a GitHub annotation naming the file on a broken config', () => {
    const broken = join(root, 'broken');
    cpSync(join(work, 'config'), join(broken, 'config'), { recursive: true });
    writeFileSync(join(broken, 'config', 'zz-broken.yaml'), 'apiVersion: sluice/v1\nkind: Team\nspec: [not, a, map]\n');
    const r = runLine(command('plan', 'validate'), broken);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/^::error file=[^,\n]*zz-broken\.yaml,line=\d+/m);
  });
});

describe.skipIf(!hasPlan)('workflow `sluice plan` as written', SLOW, () => {
  it('plans against origin/main (no change) and writes plan.md', () => {
    const r = runLine(command('plan', 'plan'), work);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(work, 'plan.md'))).toBe(true);
  });

  it('shows a budget change made on the PR branch', () => {
    const unchanged = readFileSync(join(work, 'plan.md'), 'utf8');
    const key = halveAKeyBudget(join(work, 'config'));
    expect(key).not.toBeNull();
    git(work, 'commit', '-q', '-am', 'halve a budget');
    const r = runLine(command('plan', 'plan'), work);
    expect(r.status, r.stderr).toBe(0);
    const changed = readFileSync(join(work, 'plan.md'), 'utf8');
    expect(changed.trim().length).toBeGreaterThan(0);
    expect(changed).not.toBe(unchanged);
    expect(changed).toContain(key as string);
  });
});

describe.skipIf(!(hasApply && hasPlan))('workflow `sluice apply` as written', SLOW, () => {
  let cp: ChildProcess | null = null;
  afterAll(() => {
    if (cp && cp.exitCode === null) cp.kill('SIGTERM');
  });

  it('installs the merged config on a running control plane, with the commit as provenance', async () => {
    // A control plane serving the base branch's config (what was live before the merge).
    const base = join(root, 'base-config');
    cpSync(EXAMPLES, base, { recursive: true });
    cp = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'sluice.js'), 'control-plane', '--config', base, '--port', '0'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      cp?.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /control plane on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]);
      });
      cp?.on('exit', (code) => reject(new Error(`control plane exited ${code}: ${err}`)));
    });
    const status = async () => (await (await fetch(`${url}/v1/status`)).json()) as { version: string | null };
    const before = (await status()).version;
    expect(before).toMatch(/^v-/);

    // The PR branch (with its halved key budget) after the merge: the apply job's line, as written.
    const sha = git(work, 'rev-parse', 'HEAD').trim();
    const r = runLine(
      command('apply', 'apply'),
      work,
      { 'vars.SLUICE_CONTROL_PLANE_URL': url },
      {
        SLUICE_ADMIN_TOKEN: DEMO_ADMIN_TOKEN,
        GITHUB_SHA: sha,
      },
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/applied v-/);
    const after = (await status()).version;
    expect(after).not.toBe(before);
    const snap = (await (
      await fetch(`${url}/v1/snapshot`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } })
    ).json()) as { version: string; source?: { revision?: string } };
    expect(snap.version).toBe(after);
    expect(snap.source?.revision).toBe(sha);
  });

  it('is refused without the admin token', () => {
    const r = runLine(
      command('apply', 'apply'),
      work,
      { 'vars.SLUICE_CONTROL_PLANE_URL': 'http://127.0.0.1:9' },
      {
        SLUICE_ADMIN_TOKEN: '',
        GITHUB_SHA: 'x',
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/admin token/);
  });
});
