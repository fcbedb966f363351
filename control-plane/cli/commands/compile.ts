import { writeFile } from 'node:fs/promises';
import { compileConfigDir } from '../../compile/index.js';
import { DIAGNOSTIC_FORMATS, formatDiagnostics } from '../../diagnostics/format.js';
import { oneOf, parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

export const command: CliCommand = {
  name: 'compile',
  summary: 'Compile a config folder into a versioned snapshot JSON file',
  help: `Usage: sluice compile [dir] [-o snapshot.json] [--revision REV] [--format text|json|github]

Validates dir (default ".") and writes the compiled snapshot. The snapshot is deterministic:
the same config always gives byte-identical output and the same version ("v-" + 16 hex of the
SHA-256 of its content). Without -o the snapshot is printed to stdout.

Options:
  -o, --output FILE    Where to write the snapshot JSON.
  --revision REV       Provenance (e.g. a git commit) stored in snapshot.source; not hashed.
  --format FORMAT      How diagnostics are printed (stderr): text (default), json, github.

Exit status: 0 compiled, 1 invalid config, 2 bad usage.`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      output: { type: 'string', short: 'o' },
      revision: { type: 'string' },
      format: { type: 'string' },
    });
    const format = oneOf(values.format, DIAGNOSTIC_FORMATS, '--format', 'text');
    const dir = positionals[0] ?? '.';
    const result = await compileConfigDir(dir, values.revision ? { revision: values.revision } : {});
    if (!result.ok || !result.snapshot) {
      console.error(formatDiagnostics(result.diagnostics, dir, format));
      return 1;
    }
    if (result.diagnostics.length > 0) console.error(formatDiagnostics(result.diagnostics, dir, format));
    const json = `${JSON.stringify(result.snapshot, null, 2)}\n`;
    if (values.output) {
      await writeFile(values.output, json);
      const s = result.snapshot;
      console.error(
        `wrote ${values.output}: ${s.version} (${Object.keys(s.keys).length} keys, ${Object.keys(s.routes).length} routes, ${Object.keys(s.providers).length} providers)`,
      );
    } else process.stdout.write(json);
    return 0;
  },
};
