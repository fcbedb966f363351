/** Reads the control plane's GET /v1/status and waits until replicas acknowledged a version. */
import { sleep } from './net-util.js';

export interface ReplicaAck {
  replicaId: string;
  connected: boolean;
  ackedVersion: string | null;
  nack: { version: string; reason: string; at: number } | null;
}

export interface ControlPlaneStatus {
  version: string | null;
  lastCompile: { ok: boolean; at: number; errors: number } | null;
  dataPlanes: ReplicaAck[];
}

export async function fetchStatus(controlPlaneUrl: string): Promise<ControlPlaneStatus> {
  const res = await fetch(`${controlPlaneUrl}/v1/status`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`${controlPlaneUrl}/v1/status answered ${res.status}`);
  return (await res.json()) as ControlPlaneStatus;
}

export class AckTimeoutError extends Error {
  override name = 'AckTimeoutError';
}

/**
 * Resolves with the status once every replica in `replicaIds` is connected and acknowledged
 * the control plane's current version (or `version`, when given). Fails early on a NACK of that
 * version, and with the last status seen on timeout.
 */
export async function waitForAcks(
  controlPlaneUrl: string,
  replicaIds: readonly string[],
  opts: { version?: string; timeoutMs?: number; pollMs?: number } = {},
): Promise<ControlPlaneStatus> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: ControlPlaneStatus | null = null;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      last = await fetchStatus(controlPlaneUrl);
      const want = opts.version ?? last.version;
      if (want) {
        const byId = new Map(last.dataPlanes.map((d) => [d.replicaId, d]));
        const nacked = replicaIds.map((id) => byId.get(id)).find((d) => d?.nack?.version === want);
        if (nacked) throw new AckTimeoutError(`${nacked.replicaId} rejected ${want}: ${nacked.nack?.reason}`);
        const synced = replicaIds.every((id) => {
          const d = byId.get(id);
          return d?.connected === true && d.ackedVersion === want;
        });
        if (synced && (opts.version === undefined || last.version === opts.version)) return last;
      }
    } catch (err) {
      if (err instanceof AckTimeoutError) throw err;
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(opts.pollMs ?? 100);
  }
  throw new AckTimeoutError(
    `replicas ${replicaIds.join(', ')} did not acknowledge ${opts.version ?? 'the current version'} in time; ` +
      `last status: ${last ? JSON.stringify(last.dataPlanes.map((d) => [d.replicaId, d.connected, d.ackedVersion])) : lastError}` +
      ` (control plane version ${last?.version ?? 'unknown'})`,
  );
}
