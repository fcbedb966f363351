/**
 * `sluice start`: the one-machine setup — control plane (watching the config folder) and a data
 * plane connected to its push channel, in one process. This is what `npm start` runs.
 */
import { resolve } from 'node:path';
import type { Snapshot } from '../../../common/snapshot.js';
import { dataPlaneConfigFromEnv } from '../../../data-plane/config.js';
import { parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';
import { onShutdownSignal, parsePort } from './data-plane.js';

/** Secrets of the demo keys documented in examples/config (only printed for that folder). */
const DEMO_KEY = 'sk-sluice-demo-search';

export const command: CliCommand = {
  name: 'start',
  summary: 'Run control plane and data plane together on one machine',
  help: `Usage: sluice start --config DIR [--port 8080] [--control-plane-port 7070] [--host HOST]

Starts the control plane on DIR (validated, compiled, watched: edits are hot-pushed) and a data
plane connected to it. Prints the URLs and a ready-to-paste curl command.

Options:
  --config DIR              Config folder (e.g. examples/config). Required.
  --port N                  Data plane port (default 8080, env SLUICE_PORT).
  --control-plane-port N    Control plane port (default 7070).
  --host HOST               Listen address of both (default 127.0.0.1).
  --data-dir DIR            Data plane state folder (default .sluice).
  --log-level LEVEL         Data plane log level (default info).

Data plane backends (Redis, ClickHouse, Qdrant) come from SLUICE_* environment variables; by
default everything is embedded. SIGINT/SIGTERM close both gracefully.`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        config: { type: 'string' },
        port: { type: 'string' },
        'control-plane-port': { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
      },
      0,
    );
    if (!values.config) throw new UsageError('--config <dir> is required');
    const configDir = resolve(values.config);
    const dpConfig = dataPlaneConfigFromEnv();
    if (values.port !== undefined) dpConfig.port = parsePort(values.port, '--port');
    if (values.host) dpConfig.host = values.host;
    if (values['data-dir']) dpConfig.dataDir = values['data-dir'];
    if (values['log-level']) dpConfig.logLevel = values['log-level'] as typeof dpConfig.logLevel;
    const cpPort = values['control-plane-port']
      ? parsePort(values['control-plane-port'], '--control-plane-port')
      : 7070;

    // Loaded on demand so other CLI commands never pay for (or break on) the servers' imports.
    const { startControlPlane } = await import('../../server/index.js');
    const { startDataPlane } = await import('../../../data-plane/main.js');
    const { dashboardRoutes } = await import('../../dashboard/index.js');
    const { createUsageQueryService } = await import('../../../data-plane/usage/query/service.js');

    // The dashboard and /v1/usage on the control plane read the data plane's own usage store.
    const usage = createUsageQueryService({ dataDir: dpConfig.dataDir, clickhouseUrl: dpConfig.clickhouseUrl });
    let current: () => Snapshot | null = () => null;
    const cp = await startControlPlane({
      configDir,
      host: dpConfig.host,
      port: cpPort,
      extraRoutes: dashboardRoutes({ usage, snapshot: () => current() }),
    });
    current = () => cp.current();
    if (!cp.current()) {
      console.error(
        `sluice start: the config in ${configDir} did not compile; fix it (sluice validate ${values.config})`,
      );
      await cp.close();
      await usage.close();
      return 1;
    }
    dpConfig.controlPlaneUrl = cp.wsUrl;
    let dp: Awaited<ReturnType<typeof startDataPlane>>;
    try {
      dp = await startDataPlane(dpConfig, { waitForSnapshot: true });
    } catch (err) {
      await cp.close();
      await usage.close();
      throw err;
    }

    const snapshot = dp.snapshot();
    const chatRoute =
      Object.values(snapshot?.routes ?? {}).find((r) => r.kind === 'chat' && r.name === 'chat-default') ??
      Object.values(snapshot?.routes ?? {}).find((r) => r.kind === 'chat');
    const isExamples = configDir === resolve('examples/config');
    const key = isExamples ? DEMO_KEY : '<your-virtual-key>';
    const body = JSON.stringify({
      model: chatRoute?.name ?? '<model>',
      messages: [{ role: 'user', content: 'Hello!' }],
    });
    console.log(
      [
        `Sluice is running (snapshot ${snapshot?.version ?? 'none'}).`,
        `  data plane:     ${dp.url}   (OpenAI-compatible: ${dp.url}/v1, Anthropic: POST ${dp.url}/v1/messages)`,
        `  control plane:  ${cp.url}   (push channel ${cp.wsUrl})`,
        `  metrics:        ${dp.url}/metrics`,
        `  dashboard:      ${cp.url}/dashboard   (admin token${isExamples ? ' sk-sluice-demo-admin' : ''})`,
        '',
        'Try it:',
        `  curl -s ${dp.url}/v1/chat/completions -H 'Authorization: Bearer ${key}' \\`,
        `    -H 'Content-Type: application/json' -d '${body}'`,
        isExamples ? '  (a demo key from examples/config; see examples/README.md)' : '',
      ]
        .filter((l, i, all) => l !== '' || i < all.length - 1)
        .join('\n'),
    );
    return onShutdownSignal(async () => {
      await dp.close();
      await cp.close();
      await usage.close();
    });
  },
};
