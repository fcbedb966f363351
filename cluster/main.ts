/**
 * `npm run cluster`: Sluice scaled out on one machine (see docs/cluster.md). Starts the cluster,
 * prints its URLs, reports every config change once all replicas acknowledged it, and on
 * SIGINT/SIGTERM/SIGHUP stops every process it started (a second signal kills them at once).
 */
import { resolve } from 'node:path';
import { type ClusterHandle, type ClusterOptions, startCluster } from './cluster.js';
import { ClusterUsageError, HELP, parseClusterArgs } from './options.js';
import { RedisNotInstalledError } from './redis.js';

/** Demo key documented in examples/config/teams/search.yaml. */
const DEMO_KEY = 'sk-sluice-demo-search';

function banner(c: ClusterHandle, opts: ClusterOptions, version: string, ms: number): string {
  const isExamples = resolve(opts.configDir) === resolve('examples/config');
  const entry = c.balancer?.url ?? c.replicas[0]!.url;
  const lines = [
    `Sluice cluster is running: snapshot ${version} acknowledged by ${c.replicas.length} replicas (${ms} ms after start).`,
    `  control plane:   ${c.controlPlane.url}   (push channel ${c.controlPlane.wsUrl})`,
    `  redis:           ${c.redisUrl}${opts.redisUrl ? '' : '   (own redis-server, discarded on exit)'}`,
    ...(opts.clickhouseUrl ? [`  clickhouse:      ${opts.clickhouseUrl}`] : []),
    ...(opts.qdrantUrl ? [`  qdrant:          ${opts.qdrantUrl}`] : []),
    ...c.replicas.map((r) => `  data plane ${r.id.padEnd(5)} ${r.url}   (data dir ${r.dataDir})`),
    ...(c.balancer ? [`  balancer:        ${c.balancer.url}   (round-robin per connection)`] : []),
    '',
    'Try it:',
    `  curl -s ${entry}/v1/chat/completions -H 'Authorization: Bearer ${isExamples ? DEMO_KEY : '<your-virtual-key>'}' \\`,
    `    -H 'Content-Type: application/json' -d '{"model":"${isExamples ? 'chat-default' : '<route>'}","messages":[{"role":"user","content":"Hello!"}]}'`,
    `  npm run sluice -- status --control-plane ${c.controlPlane.url}     # which replica runs which version`,
    `Edit a file in ${opts.configDir}: the new snapshot reaches every replica. Ctrl-C stops everything.`,
  ];
  return lines.join('\n');
}

/** Prints a line each time a new version is acknowledged by every running replica. */
function announceVersions(c: ClusterHandle, initial: string): NodeJS.Timeout {
  let announced = initial;
  let firstSeen: { version: string; at: number } | null = null;
  const timer = setInterval(() => {
    c.status().then(
      (s) => {
        if (!s.version || s.version === announced) return;
        if (firstSeen?.version !== s.version) firstSeen = { version: s.version, at: Date.now() };
        const running = c.replicas.filter((r) => r.child.running).map((r) => r.id);
        const acked = s.dataPlanes.filter((d) => d.connected && d.ackedVersion === s.version).map((d) => d.replicaId);
        const nacks = s.dataPlanes.filter((d) => d.nack?.version === s.version);
        for (const d of nacks) console.error(`[cluster] ${d.replicaId} rejected ${s.version}: ${d.nack?.reason}`);
        if (running.every((id) => acked.includes(id))) {
          announced = s.version;
          console.error(
            `[cluster] snapshot ${s.version} acknowledged by ${acked.join(', ')} (within ${Date.now() - firstSeen.at} ms of the control plane serving it)`,
          );
        }
      },
      () => {}, // control plane down: the data planes keep their snapshot; nothing to announce
    );
  }, 500);
  timer.unref();
  return timer;
}

async function main(argv: string[]): Promise<number> {
  let opts: ClusterOptions | null;
  try {
    opts = parseClusterArgs(argv);
  } catch (err) {
    if (!(err instanceof ClusterUsageError)) throw err;
    console.error(`cluster: ${err.message}\n\n${HELP}`);
    return 2;
  }
  if (!opts) {
    console.log(HELP);
    return 0;
  }
  let cluster: ClusterHandle | null = null;
  let stoppingSince = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C under `npm run` arrives twice (from the terminal and forwarded by npm): a repeat
    // within a second is the same request, not an operator insisting.
    if (stoppingSince > 0 && Date.now() - stoppingSince < 1_000) return;
    if (stoppingSince > 0 || !cluster) {
      // Insisting, or still starting: exit now; the exit hook SIGKILLs every child.
      console.error(`[cluster] ${signal}: exiting now`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    console.error(`[cluster] ${signal}: stopping the replicas, the control plane and redis…`);
    cluster.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('[cluster] shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  const started = Date.now();
  try {
    cluster = await startCluster({
      ...opts,
      onUnexpectedExit: (name, code) =>
        console.error(
          `[cluster] ${name} exited unexpectedly (${code}); ${name === 'cp' ? 'the data planes keep serving their last snapshot' : 'the other processes keep running'}`,
        ),
    });
  } catch (err) {
    if (err instanceof RedisNotInstalledError) console.error(`cluster: ${err.message}`);
    else console.error(`cluster: could not start: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const status = await cluster.status();
  console.log(banner(cluster, opts, status.version ?? 'none', Date.now() - started));
  announceVersions(cluster, status.version ?? '');
  // Keep running until a signal arrives.
  await new Promise<never>(() => setInterval(() => {}, 1 << 30));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
