/**
 * `node --import tsx cluster/supervise.ts [--rm DIR] <command> [args…]`: runs a non-Node child
 * (redis-server) so that it cannot outlive the launcher: signals are forwarded, and if the
 * launcher dies the supervisor (via the orphan check) stops the command before exiting. With
 * --rm, DIR (the command's scratch folder) is removed once the command has exited.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

let argv = process.argv.slice(2);
let scratch: string | null = null;
if (argv[0] === '--rm') {
  scratch = argv[1] ?? null;
  argv = argv.slice(2);
}
const [command, ...args] = argv;
if (!command) {
  console.error('usage: supervise.ts [--rm DIR] <command> [args…]');
  process.exit(2);
}
const exit = (code: number) => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
};
const child = spawn(command, args, { stdio: 'inherit' });
child.once('error', (err) => {
  console.error(`cannot run ${command}: ${err.message}`);
  exit(127);
});
child.once('exit', (code, signal) => exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => child.kill(sig));
}
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 500).unref();
