/** The CLI as users run it: a real child process through bin/sluice.js, exit codes and output. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../control-plane/cli/main.js';
import { compileConfigDir } from '../../control-plane/compile/index.js';
import { copyExamples } from './helpers.js';

const root = join(import.meta.dirname, '../..');
const exec = promisify(execFile);

async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', ['bin/sluice.js', ...args], { cwd: root, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const BROKEN = 'test/fixtures/broken-configs/unknown-team';

/** Runs the CLI in-process (spawning node per case is slow on a loaded 2-core machine). */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const cwd = process.cwd();
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  process.chdir(root);
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.chdir(cwd);
  }
}

describe('sluice CLI', () => {
  let cfg: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    cfg = await copyExamples();
  });
  afterAll(() => cfg.cleanup());

  it('validate examples/config exits 0', async () => {
    const r = await sluice('validate', 'examples/config');
    expect(r.stdout).toContain('✔ config is valid');
    expect(r.code).toBe(0);
  });

  it('validate of a broken config exits 1 with file:line:column, field and rule', async () => {
    const r = await sluice('validate', BROKEN);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${BROKEN}/case.yaml:4:1: error: team: unknown Team "serach" (did you mean "search"?) [ref/unknown-team]`,
    );
  });

  it('validate --format github prints workflow annotations', async () => {
    const r = await inProcess('validate', BROKEN, '--format', 'github');
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(
      `::error file=${BROKEN}/case.yaml,line=4,col=1,title=sluice ref/unknown-team::team: unknown Team "serach" (did you mean "search"?)`,
    );
  });

  it('validate --format json is machine readable', async () => {
    const r = await inProcess('validate', BROKEN, '--format', 'json');
    const body = JSON.parse(r.stdout) as {
      ok: boolean;
      errors: number;
      diagnostics: { file: string; line: number; column: number; path: string; rule: string }[];
    };
    expect(body.ok).toBe(false);
    expect(body.errors).toBe(1);
    expect(body.diagnostics[0]).toEqual(
      expect.objectContaining({
        file: `${BROKEN}/case.yaml`,
        line: 4,
        column: 1,
        path: 'team',
        rule: 'ref/unknown-team',
      }),
    );
  });

  it('bad flags exit 2 with the command help', async () => {
    const r = await inProcess('validate', '--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format must be one of text, json, github');
  });

  it('every control-plane command has --help', async () => {
    for (const cmd of ['validate', 'compile', 'plan', 'apply', 'keys', 'control-plane', 'status']) {
      const r = await inProcess(cmd, '--help');
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(/^Usage:\s+sluice /);
    }
  });

  it('compile -o writes the same snapshot the library produces', async () => {
    const out = join(cfg.dir, '..', 'snapshot.json');
    const r = await inProcess('compile', 'examples/config', '-o', out);
    expect(r.code).toBe(0);
    const written = JSON.parse(await readFile(out, 'utf8'));
    expect(written).toEqual((await compileConfigDir(join(root, 'examples/config'))).snapshot);
  });

  it('keys create prints the secret once and writes only its hash into the team file', async () => {
    const r = await sluice(
      'keys',
      'create',
      '--team',
      'support',
      '--name',
      'support-batch',
      '--dir',
      cfg.dir,
      '--expires-in',
      '30d',
      '--owner',
      'ops@acme.example',
    );
    expect(r.code).toBe(0);
    const secret = r.stdout.trim();
    expect(secret).toMatch(/^sk-sluice-[A-Za-z0-9_-]{43}$/);
    const yaml = await readFile(join(cfg.dir, 'teams/support.yaml'), 'utf8');
    expect(yaml).not.toContain(secret);
    expect(yaml).not.toContain(secret.slice(10, 30));
    const { createHash } = await import('node:crypto');
    expect(yaml).toContain(
      `name: support-batch\nteam: support\nhash: sha256:${createHash('sha256').update(secret).digest('hex')}\n`,
    );
    const result = await compileConfigDir(cfg.dir);
    expect(result.ok).toBe(true);
    const key = Object.values(result.snapshot!.keys).find((k) => k.name === 'support-batch');
    expect(key?.hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(key?.metadata.owner).toBe('ops@acme.example');
  });

  it('keys create refuses an unknown team or a taken name', async () => {
    expect((await inProcess('keys', 'create', '--team', 'nope', '--dir', cfg.dir)).code).toBe(1);
    expect(
      (await inProcess('keys', 'create', '--team', 'support', '--name', 'support-bot', '--dir', cfg.dir)).code,
    ).toBe(1);
  });
});
