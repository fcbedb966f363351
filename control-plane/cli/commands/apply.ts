import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { compileConfigDir } from '../../compile/index.js';
import { formatDiagnostics } from '../../diagnostics/format.js';
import { baseUrl, parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

async function readToken(values: { token?: string; 'token-file'?: string }): Promise<string> {
  if (values['token-file']) return (await readFile(values['token-file'], 'utf8')).trim();
  const token = values.token ?? process.env.SLUICE_ADMIN_TOKEN;
  if (!token) throw new UsageError('admin token needed: set SLUICE_ADMIN_TOKEN or pass --token-file FILE');
  return token;
}

export const command: CliCommand = {
  name: 'apply',
  summary: 'Compile a config folder and push the snapshot to a running control plane',
  help: `Usage: sluice apply [dir] --control-plane URL [--snapshot FILE] [--revision REV]

Compiles dir (default ".") — or takes an already compiled --snapshot FILE — and installs it on
the control plane with POST /v1/snapshot, which pushes it to every connected data plane. The
control plane verifies the admin token and that the snapshot's version matches its content.
A later change in the control plane's own watched folder replaces an applied snapshot.

Options:
  --control-plane URL   Control plane base URL, e.g. http://127.0.0.1:7070 (required).
  --snapshot FILE       Push this compiled snapshot instead of compiling dir.
  --revision REV        Provenance stored in snapshot.source (e.g. $GITHUB_SHA).
  --token-file FILE     File holding the admin token (default: $SLUICE_ADMIN_TOKEN).

Exit status: 0 applied (or already current), 1 invalid config or refused, 2 bad usage.`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      'control-plane': { type: 'string' },
      snapshot: { type: 'string' },
      revision: { type: 'string' },
      'token-file': { type: 'string' },
    });
    const url = baseUrl(values['control-plane'], '--control-plane');
    const token = await readToken(values);
    let body: string;
    if (values.snapshot) body = await readFile(values.snapshot, 'utf8');
    else {
      const dir = positionals[0] ?? '.';
      const result = await compileConfigDir(dir, values.revision ? { revision: values.revision } : {});
      if (!result.ok || !result.snapshot) {
        console.error(formatDiagnostics(result.diagnostics, dir, 'text'));
        return 1;
      }
      body = JSON.stringify(result.snapshot);
    }
    try {
      const res = await request(`${url}/v1/snapshot`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        console.error(`sluice apply: refused (${res.statusCode}): ${text}`);
        return 1;
      }
      const reply = JSON.parse(text) as { version: string; changed: boolean; dataPlanes: number };
      console.log(
        reply.changed
          ? `applied ${reply.version}; pushing to ${reply.dataPlanes} connected data plane(s) — check with: sluice status --control-plane ${url}`
          : `${reply.version} is already current; nothing to do`,
      );
      return 0;
    } catch (err) {
      console.error(`sluice apply: cannot reach ${url}: ${(err as Error).message}`);
      return 1;
    }
  },
};
