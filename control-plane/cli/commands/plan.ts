import { compileConfigDir } from '../../compile/index.js';
import { formatDiagnostics } from '../../diagnostics/format.js';
import { BaseResolveError, resolveBase } from '../../plan/base.js';
import { diffSnapshots } from '../../plan/diff.js';
import { renderPlanMarkdown, renderPlanText } from '../../plan/render.js';
import { oneOf, parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

export const command: CliCommand = {
  name: 'plan',
  summary: 'Show what a config change does: budgets, limits, keys, routing, pricing',
  help: `Usage: sluice plan --base <git-ref|dir> [dir] [--format text|markdown]

Compiles the base config and dir (default ".") and prints what changes for a reviewer:
budgets and limits per org/team/key, keys added / revoked / rotated / deleted, routing weights
(with traffic shares) and fallback chains, dated price changes, provider, cache, guardrail and
gateway settings. --base is a folder, or a git revision (branch, tag, commit) whose copy of the
same folder is read with git archive.

Options:
  --base REF|DIR          What to compare against (required), e.g. origin/main.
  --format text|markdown  markdown reads well as a pull-request comment (default text).

Exit status: 0 plan printed, 1 a config is invalid, 2 bad usage.`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { base: { type: 'string' }, format: { type: 'string' } });
    if (!values.base) throw new UsageError('--base <git-ref|dir> is required');
    const format = oneOf(values.format, ['text', 'markdown'] as const, '--format', 'text');
    const dir = positionals[0] ?? '.';
    let base: Awaited<ReturnType<typeof resolveBase>>;
    try {
      base = await resolveBase(values.base, dir);
    } catch (err) {
      if (err instanceof BaseResolveError) {
        console.error(`sluice plan: ${err.message}`);
        return 1;
      }
      throw err;
    }
    try {
      const [before, after] = await Promise.all([compileConfigDir(base.dir), compileConfigDir(dir)]);
      if (!after.ok || !after.snapshot) {
        console.error(`sluice plan: ${dir} is invalid:\n${formatDiagnostics(after.diagnostics, dir, 'text')}`);
        return 1;
      }
      const emptyBase = before.diagnostics.some((d) => d.rule === 'config/empty');
      if (!emptyBase && (!before.ok || !before.snapshot)) {
        console.error(
          `sluice plan: base ${base.label} is invalid:\n${formatDiagnostics(before.diagnostics, base.dir, 'text')}`,
        );
        return 1;
      }
      const plan = diffSnapshots(before.snapshot, after.snapshot);
      console.log(format === 'markdown' ? renderPlanMarkdown(plan) : renderPlanText(plan));
      return 0;
    } finally {
      await base.cleanup();
    }
  },
};
