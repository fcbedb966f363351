/**
 * Loaded with `--import` into every Node child of the local cluster: if the launcher dies
 * without cleaning up (SIGKILL, crash), the child notices that its parent changed and shuts
 * itself down gracefully, so a killed launcher leaves no orphan servers holding ports.
 */
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
  // The graceful close is bounded; never linger as an orphan.
  setTimeout(() => process.exit(1), 15_000).unref();
}, 500);
timer.unref();
