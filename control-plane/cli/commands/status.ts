import { request } from 'undici';
import type { DataPlaneStatus } from '../../server/types.js';
import { baseUrl, oneOf, parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

interface StatusBody {
  version: string | null;
  origin: string | null;
  lastCompile: { ok: boolean; at: number; durationMs: number; errors: number; warnings: number } | null;
  dataPlanes: DataPlaneStatus[];
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

export function renderStatus(body: StatusBody): string {
  const lines = [`current version: ${body.version ?? 'none'}${body.origin ? ` (from ${body.origin})` : ''}`];
  const c = body.lastCompile;
  if (c) {
    lines.push(
      `last compile:    ${c.ok ? 'ok' : 'FAILED'} ${ago(c.at)} in ${c.durationMs} ms (${c.errors} errors, ${c.warnings} warnings)`,
    );
  }
  if (body.dataPlanes.length === 0) {
    lines.push('data planes:     none connected');
    return lines.join('\n');
  }
  lines.push('', 'REPLICA'.padEnd(22) + 'CONNECTED  ACKED'.padEnd(38) + 'IN SYNC  LAST SEEN   NACK');
  for (const d of body.dataPlanes) {
    const inSync = d.ackedVersion !== null && d.ackedVersion === body.version;
    lines.push(
      d.replicaId.padEnd(22) +
        (d.connected ? 'yes' : 'no').padEnd(11) +
        (d.ackedVersion ?? '-').padEnd(27) +
        (inSync ? 'yes' : 'NO').padEnd(9) +
        ago(d.lastSeen).padEnd(12) +
        (d.nack ? `${d.nack.version}: ${d.nack.reason}` : '-'),
    );
  }
  return lines.join('\n');
}

export const command: CliCommand = {
  name: 'status',
  summary: 'Show which snapshot version each data plane acknowledged',
  help: `Usage: sluice status --control-plane URL [--format text|json]

Asks a running control plane (GET /v1/status) for its current snapshot version, its last
compile result and, per data plane: connected or not, acknowledged version, last NACK reason.

Exit status: 0 every connected data plane runs the current version, 1 otherwise or on error.`,
  async run(argv) {
    const { values } = parseFlags(argv, { 'control-plane': { type: 'string' }, format: { type: 'string' } }, 0);
    const url = baseUrl(values['control-plane'], '--control-plane');
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    let body: StatusBody;
    try {
      const res = await request(`${url}/v1/status`);
      if (res.statusCode !== 200) {
        console.error(`sluice status: ${url}/v1/status answered ${res.statusCode}: ${await res.body.text()}`);
        return 1;
      }
      body = (await res.body.json()) as StatusBody;
    } catch (err) {
      console.error(`sluice status: cannot reach ${url}: ${(err as Error).message}`);
      return 1;
    }
    console.log(format === 'json' ? JSON.stringify(body, null, 2) : renderStatus(body));
    const connected = body.dataPlanes.filter((d) => d.connected);
    return body.version !== null && connected.every((d) => d.ackedVersion === body.version) ? 0 : 1;
  },
};
