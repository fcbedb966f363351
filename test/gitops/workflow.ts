/**
 * Reads the example GitOps workflow and pulls out what its steps run, so tests can check its shape
 * and run its `sluice …` commands exactly as written.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORKFLOW_PATH = join(REPO_ROOT, 'examples', 'gitops', '.github', 'workflows', 'sluice-config.yml');

export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}

export interface WorkflowJob {
  if?: string;
  'runs-on': string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: WorkflowStep[];
  [key: string]: unknown;
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  jobs: Record<string, WorkflowJob>;
}

/** One `sluice …` invocation from a `run:` script, with the env the runner would give it. */
export interface SluiceCommand {
  job: string;
  step: string;
  /** The command line as written (continuations joined). */
  line: string;
  /** The word after `sluice`, e.g. "validate". */
  subcommand: string;
  /** Workflow, job and step env merged (later wins), values still unevaluated (`${{ … }}`). */
  env: Record<string, string>;
}

export function loadWorkflow(path: string = WORKFLOW_PATH): Workflow {
  const doc = parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null || !('jobs' in doc)) throw new Error(`${path}: not a workflow`);
  return doc as Workflow;
}

/** The logical lines of a shell script: `\`-continuations joined, blank lines and comments dropped. */
export function scriptLines(script: string): string[] {
  return script
    .replace(/\s*\\\r?\n\s*/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

const SLUICE_LINE = /^(?:npx\s+(?:--yes\s+)?)?sluice\s+([a-z][\w-]*)/;

/** Every `sluice …` line of every `run:` step, in job and step order. */
export function sluiceCommands(wf: Workflow): SluiceCommand[] {
  const out: SluiceCommand[] = [];
  for (const [jobName, job] of Object.entries(wf.jobs)) {
    job.steps.forEach((step, i) => {
      if (!step.run) return;
      for (const line of scriptLines(step.run)) {
        const m = SLUICE_LINE.exec(line);
        if (!m) continue;
        out.push({
          job: jobName,
          step: step.name ?? `step ${i + 1}`,
          line,
          subcommand: m[1],
          env: { ...wf.env, ...job.env, ...step.env },
        });
      }
    });
  }
  return out;
}

/**
 * Evaluates the `${{ … }}` expressions of env values from a flat context ("github.base_ref" → "main").
 * Only plain lookups and `a || 'default'` are supported; anything else throws, so a test notices a
 * workflow change it cannot run faithfully.
 */
export function evaluateEnv(env: Record<string, string>, context: Record<string, string>): Record<string, string> {
  const evalExpr = (expr: string): string => {
    for (const alt of expr.split('||').map((s) => s.trim())) {
      const literal = /^'([^']*)'$/.exec(alt);
      if (literal) return literal[1];
      if (!/^[a-z_]+(\.[A-Za-z0-9_]+)+$/.test(alt)) throw new Error(`unsupported expression: ${expr}`);
      const v = context[alt];
      if (v) return v;
    }
    return '';
  };
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      String(v).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, e: string) => evalExpr(e)),
    ]),
  );
}
