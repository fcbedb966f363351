/**
 * One CLI subcommand. Each lives in its own file under control-plane/cli/commands/ and is
 * discovered by main.ts, so areas add commands without touching a shared list.
 */
export interface CliCommand {
  /** First word after `sluice`, e.g. "validate" or "cache". */
  name: string;
  /** One line for `sluice --help`. */
  summary: string;
  /** Full text for `sluice <name> --help`. */
  help: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad flags; main prints the message and the command's help, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
