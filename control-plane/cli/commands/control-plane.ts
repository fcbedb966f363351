import { startControlPlane } from '../../server/index.js';
import { parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

export const command: CliCommand = {
  name: 'control-plane',
  summary: 'Run the control plane: compile, watch the config folder, push snapshots to data planes',
  help: `Usage: sluice control-plane --config DIR [--port 7070] [--host 127.0.0.1] [--debounce 200]

Compiles DIR, watches it and recompiles on every change (debounced). A valid change becomes a
new snapshot version that is pushed to every connected data plane; an invalid change is logged
with file:line diagnostics and the last good snapshot stays in service. Starts even when the
config is invalid (no snapshot until it is fixed).

Endpoints:
  GET  /healthz        liveness and current version
  GET  /v1/status      current version, last compile result, per data plane: acked version, NACK reason
  GET  /v1/snapshot    current snapshot JSON (admin token when admin_key_hashes are set)
  POST /v1/snapshot    install a compiled snapshot (sluice apply; admin token)
  WS   /v1/snapshots   push channel for data planes (hello / snapshot / ack / nack / ping / pong)

Options:
  --config DIR     Config folder (required).
  --port P         Listen port (default 7070; 0 = any free port).
  --host H         Listen address (default 127.0.0.1).
  --debounce MS    Quiet time after file events before recompiling (default 200).`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        debounce: { type: 'string' },
      },
      0,
    );
    if (!values.config) throw new UsageError('--config DIR is required');
    const port = Number(values.port ?? 7070);
    const debounceMs = Number(values.debounce ?? 200);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    if (!Number.isInteger(debounceMs) || debounceMs < 0)
      throw new UsageError('--debounce must be a non-negative integer');
    const handle = await startControlPlane({
      configDir: values.config,
      port,
      host: values.host ?? '127.0.0.1',
      debounceMs,
    });
    console.error(
      `control plane on ${handle.url} (push channel ${handle.wsUrl}), version ${handle.current()?.version ?? 'none'}`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await handle.close();
    return 0;
  },
};
