/**
 * `node --import tsx cluster/supervise.ts <command> [args…]`: runs a non-Node child (redis-server)
 * so that it cannot outlive the launcher: signals are forwarded, and if the launcher dies the
 * supervisor (via the orphan check) stops the command before exiting.
 */
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: supervise.ts <command> [args…]');
  process.exit(2);
}
const child = spawn(command, args, { stdio: 'inherit' });
child.once('error', (err) => {
  console.error(`cannot run ${command}: ${err.message}`);
  process.exit(127);
});
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => child.kill(sig));
}
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 500).unref();
