import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CliCommand, UsageError } from './command.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

async function loadCommands(): Promise<Map<string, CliCommand>> {
  const files = (await readdir(commandsDir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  const commands = new Map<string, CliCommand>();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as { command?: CliCommand };
    if (mod.command) commands.set(mod.command.name, mod.command);
  }
  return commands;
}

function overview(commands: Map<string, CliCommand>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: sluice <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'sluice <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview(commands));
    return name ? 0 : 2;
  }
  const command = commands.get(name);
  if (!command) {
    console.error(`sluice: unknown command '${name}'\n\n${overview(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sluice ${name}: ${err.message}\n\n${command.help}`);
      return 2;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Long-running commands (start, control-plane, data-plane) never resolve; others exit here.
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
