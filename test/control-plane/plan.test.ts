import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../control-plane/cli/main.js';
import { compileConfigDir } from '../../control-plane/compile/index.js';
import { diffSnapshots } from '../../control-plane/plan/diff.js';
import { renderPlanMarkdown, renderPlanText } from '../../control-plane/plan/render.js';
import { copyExamples, EXAMPLES, edit } from './helpers.js';

const run = promisify(execFile);
let head: { dir: string; cleanup: () => Promise<void> };

const NEW_KEY = `---
apiVersion: sluice/v1
kind: Key
name: clinical-batch
team: clinical
hash: sha256:${'c'.repeat(64)}
expires_at: "2027-03-01"
metadata:
  owner: ml@acme.example
`;

beforeAll(async () => {
  head = await copyExamples();
  const d = head.dir;
  await edit(join(d, 'teams/search.yaml'), 'amount: "2000.00"', 'amount: "2500.00"');
  await edit(join(d, 'routes.yaml'), 'weight: 80', 'weight: 60');
  await edit(join(d, 'routes.yaml'), 'fallback: [gpt-4o, chat-default]', 'fallback: [chat-default]');
  await edit(
    join(d, 'teams/search.yaml'),
    'expires_at: "2031-06-30"\npriority: 10',
    'expires_at: "2031-06-30"\nstatus: revoked\npriority: 10',
  );
  await edit(
    join(d, 'pricing/hosted.yaml'),
    '      cache_write: "2.50"\n',
    '      cache_write: "2.50"\n    - effective_from: "2027-01-01"\n      input: "2.00"\n      output: "8.00"\n      cached_input: "1.00"\n',
  );
  await edit(
    join(d, 'teams/clinical.yaml'),
    'owner: clinical-ml@acme.example\n',
    `owner: clinical-ml@acme.example\n${NEW_KEY}`,
  );
});
afterAll(() => head.cleanup());

describe('plan', () => {
  it('reports budget, routing weight, fallback, new key, revoked key and dated price changes', async () => {
    const base = (await compileConfigDir(EXAMPLES)).snapshot!;
    const after = await compileConfigDir(head.dir);
    expect(after.diagnostics).toEqual([]);
    const text = renderPlanText(diffSnapshots(base, after.snapshot!));
    expect(text).toContain('~ team:search: budget $2000/monthly → $2500/monthly (+25%)');
    expect(text).toContain(
      '~ route chat-default: weights simulated/sim-chat w80 (80%), simulated-flaky/sim-chat w20 (20%) → simulated/sim-chat w60 (75%), simulated-flaky/sim-chat w20 (25%)',
    );
    expect(text).toContain('~ route claude-sonnet: fallback gpt-4o → chat-default → chat-default');
    expect(text).toContain('+ key clinical-batch: added to team clinical (active, expires 2027-03-01)');
    expect(text).toContain('- key search-prod: REVOKED');
    expect(text).toContain(
      '+ openai/gpt-4o: from 2027-01-01: input $2, output $8, cached input $1, cache write $2 per 1M tokens (was input $2.5, output $10, cached input $1.25, cache write $2.5 per 1M tokens)',
    );
    expect(text).toMatch(/^6 changes: v-[0-9a-f]{16} → v-[0-9a-f]{16}/);
  });

  it('renders Markdown tables for a PR comment', async () => {
    const base = (await compileConfigDir(EXAMPLES)).snapshot!;
    const md = renderPlanMarkdown(diffSnapshots(base, (await compileConfigDir(head.dir)).snapshot!));
    expect(md).toContain('### Sluice config plan');
    expect(md).toContain('#### Budgets');
    expect(md).toContain('| ✏️ | `team:search` | budget $2000/monthly → $2500/monthly (+25%) |');
    expect(md).toContain('| ➖ | `key search-prod` | REVOKED |');
  });

  it('says "No changes" for identical folders', async () => {
    const s = (await compileConfigDir(EXAMPLES)).snapshot!;
    expect(renderPlanText(diffSnapshots(s, s))).toBe(`No changes: ${s.version} is identical to the base.`);
  });

  it('reads --base from a git revision', async () => {
    const repo = await copyExamples();
    try {
      const git = (...args: string[]) => run('git', args, { cwd: repo.dir });
      await git('init', '-q');
      await git('-c', 'user.email=t@t', '-c', 'user.name=t', 'add', '.');
      await git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'base');
      await edit(join(repo.dir, 'teams/support.yaml'), 'amount: "500.00"', 'amount: "450.00"');
      const out: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => out.push(a.join(' '));
      let code: number;
      try {
        code = await main(['plan', '--base', 'HEAD', repo.dir]);
      } finally {
        console.log = log;
      }
      expect(code).toBe(0);
      expect(out.join('\n')).toContain('~ key:support-bot: budget $500/monthly → $450/monthly (-10%)');
    } finally {
      await repo.cleanup();
    }
  });
});
