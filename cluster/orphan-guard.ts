/**
 * Loaded with `--import` into every Node child of the local cluster: if the launcher dies
 * without cleaning up (SIGKILL, crash), the child notices that its parent changed and shuts
 * itself down — SIGTERM first (graceful drain), SIGKILL 10 s later if it is still alive — so a
 * killed launcher leaves no orphan servers holding ports.
 *
 * The watch runs in a worker thread: a main thread stuck in a synchronous loop (seen: a log
 * destination retrying writes to the dead launcher's pipe on shutdown) cannot stop the SIGKILL.
 */
import { Worker } from 'node:worker_threads';

const WATCH = `
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 10000);
}, 500);
`;

new Worker(WATCH, { eval: true }).unref();
