import { compileConfigDir } from '../../compile/index.js';
import { DIAGNOSTIC_FORMATS, formatDiagnostics } from '../../diagnostics/format.js';
import { oneOf, parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

export const command: CliCommand = {
  name: 'validate',
  summary: 'Check a config folder: schema, cross-references, governance policies',
  help: `Usage: sluice validate [dir] [--format text|json|github]

Validates every *.yaml/*.yml document under dir (default "."): JSON Schema, cross-document
checks (references, duplicate ids, fallback cycles, budgets, pricing, secrets, keys) and the
governance policies the config enables. Every finding names file, line, column, field and rule.

Options:
  --format text|json|github   Output form (default text). "github" prints workflow annotations
                              (::error file=…,line=…,col=…::…) for pull-request checks.

Exit status: 0 valid (warnings allowed), 1 invalid, 2 bad usage.`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { format: { type: 'string' } });
    const format = oneOf(values.format, DIAGNOSTIC_FORMATS, '--format', 'text');
    const dir = positionals[0] ?? '.';
    const result = await compileConfigDir(dir);
    const out = formatDiagnostics(result.diagnostics, dir, format);
    if (out) console.log(out);
    return result.ok ? 0 : 1;
  },
};
