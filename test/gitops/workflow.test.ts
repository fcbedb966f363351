import { describe, expect, it } from 'vitest';
import { evaluateEnv, loadWorkflow, scriptLines, sluiceCommands, type WorkflowStep } from './workflow.js';

const wf = loadWorkflow();
/** A GitHub Actions expression as it appears in the YAML, e.g. gh('github.base_ref'). */
const gh = (expr: string) => `\${{ ${expr} }}`;
const step = (job: string, pred: (s: WorkflowStep) => boolean) => {
  const s = wf.jobs[job].steps.find(pred);
  if (!s) throw new Error(`no such step in ${job}`);
  return s;
};
const runs = (job: string, text: string) => step(job, (s) => s.run?.includes(text) ?? false);

describe('example GitOps workflow', () => {
  it('triggers on pull requests and on pushes to main', () => {
    expect(wf.name).toBe('sluice-config');
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push']);
    expect((wf.on.push as { branches: string[] }).branches).toEqual(['main']);
    expect(wf.permissions).toEqual({ contents: 'read' });
  });

  it('plans pull requests: full-history checkout, Node 20, install, validate with annotations, plan', () => {
    const plan = wf.jobs.plan;
    expect(plan.if).toBe("github.event_name == 'pull_request'");
    expect(plan.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(step('plan', (s) => s.uses?.startsWith('actions/checkout@') ?? false).with).toEqual({ 'fetch-depth': 0 });
    expect(step('plan', (s) => s.uses?.startsWith('actions/setup-node@') ?? false).with).toEqual({
      'node-version': 20,
    });
    expect(runs('plan', 'npm install -g').run).toContain('"$SLUICE_PACKAGE"');
    expect(runs('plan', 'sluice validate').run?.trim()).toBe('sluice validate --format github "$SLUICE_CONFIG_DIR"');
    const planStep = runs('plan', 'sluice plan');
    expect(planStep.run?.trim()).toBe(
      'sluice plan --base "origin/$BASE_REF" "$SLUICE_CONFIG_DIR" --format markdown > plan.md',
    );
    expect(planStep.env).toEqual({ BASE_REF: gh('github.base_ref') });
    // The steps run in this order.
    const order = plan.steps.map((s) => s.uses?.split('@')[0] ?? s.run?.split(' ').slice(0, 2).join(' '));
    expect(order).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm install',
      'sluice validate',
      'sluice plan',
      'actions/github-script',
    ]);
  });

  it('applies on push to main only in push mode, with the admin token from secrets', () => {
    const apply = wf.jobs.apply;
    expect(apply.if).toBe("github.event_name == 'push' && vars.SLUICE_CONTROL_PLANE_URL != ''");
    const s = runs('apply', 'sluice apply');
    expect(s.run?.trim()).toBe(
      'sluice apply "$SLUICE_CONFIG_DIR" --control-plane "$SLUICE_CONTROL_PLANE_URL" --revision "$GITHUB_SHA"',
    );
    expect(s.env).toEqual({
      SLUICE_CONTROL_PLANE_URL: gh('vars.SLUICE_CONTROL_PLANE_URL'),
      SLUICE_ADMIN_TOKEN: gh('secrets.SLUICE_ADMIN_TOKEN'),
    });
    expect(apply.concurrency).toEqual({ group: 'sluice-apply', 'cancel-in-progress': false });
  });

  it('never splices an expression into a shell script (script-injection hygiene)', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const s of job.steps) if (s.run) expect(s.run).not.toContain('${{');
    }
  });

  it('pins every action to a major version', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
    }
  });

  it('extracts every sluice command line with its env', () => {
    const cmds = sluiceCommands(wf);
    expect(cmds.map((c) => `${c.job}:${c.subcommand}`)).toEqual([
      'plan:validate',
      'plan:plan',
      'apply:validate',
      'apply:apply',
    ]);
    const plan = cmds[1];
    expect(evaluateEnv(plan.env, { 'github.base_ref': 'main' })).toMatchObject({
      SLUICE_CONFIG_DIR: 'config',
      SLUICE_PACKAGE: 'sluice@0.1.0',
      BASE_REF: 'main',
    });
  });

  it('joins continuation lines and skips comments when extracting', () => {
    expect(scriptLines('# hi\nsluice plan \\\n  --base x \\\n  dir\n\necho done\n')).toEqual([
      'sluice plan --base x dir',
      'echo done',
    ]);
    expect(() => evaluateEnv({ X: gh('fromJSON(x)') }, {})).toThrow(/unsupported expression/);
  });
});

type Comment = { id: number; body: string; user: { type: string } };

/** Runs the workflow's github-script with a fake GitHub API, the way actions/github-script calls it. */
async function runCommentScript(plan: string, existing: Comment[]) {
  const script = step('plan', (s) => s.uses?.startsWith('actions/github-script@') ?? false).with?.script as string;
  const calls: { op: string; args: Record<string, unknown> }[] = [];
  const listComments = async () => existing;
  const github = {
    paginate: async (fn: () => Promise<Comment[]>) => fn(),
    rest: {
      issues: {
        listComments,
        updateComment: async (args: Record<string, unknown>) => calls.push({ op: 'update', args }),
        createComment: async (args: Record<string, unknown>) => calls.push({ op: 'create', args }),
      },
    },
  };
  const context = {
    repo: { owner: 'acme', repo: 'sluice-config' },
    issue: { number: 42 },
    payload: { pull_request: { head: { sha: 'abcdef1234567890' } } },
  };
  const fakeRequire = (m: string) => {
    if (m !== 'node:fs') throw new Error(`unexpected require ${m}`);
    return { readFileSync: () => plan };
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<unknown>;
  await new AsyncFunction('github', 'context', 'require', script)(github, context, fakeRequire);
  return calls;
}

describe('plan comment script', () => {
  it('creates one marked comment, then updates it on later pushes', async () => {
    const first = await runCommentScript('## Budgets\n- team ml: $100 → $200\n', []);
    expect(first).toHaveLength(1);
    expect(first[0].op).toBe('create');
    expect(first[0].args).toMatchObject({ owner: 'acme', repo: 'sluice-config', issue_number: 42 });
    const body = first[0].args.body as string;
    expect(body.startsWith('<!-- sluice-plan -->\n### Sluice plan for `abcdef1`')).toBe(true);
    expect(body).toContain('team ml: $100 → $200');

    const again = await runCommentScript('changed', [
      { id: 7, body: 'a human comment', user: { type: 'User' } },
      { id: 9, body, user: { type: 'Bot' } },
    ]);
    expect(again).toEqual([{ op: 'update', args: expect.objectContaining({ comment_id: 9 }) }]);
  });

  it('says so when the plan is empty, and truncates a huge plan under the comment limit', async () => {
    const [empty] = await runCommentScript('  \n', []);
    expect(empty.args.body).toContain('_No changes._');
    const [huge] = await runCommentScript('x'.repeat(100_000), []);
    expect((huge.args.body as string).length).toBeLessThan(65_536);
    expect(huge.args.body).toContain('plan truncated');
  });
});
