import { randomBytes } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIndex } from '../../config/index.js';
import { durationMs } from '../../config/units.js';
import { generateSecret, hashSecret, keyDocumentYaml } from '../../keys/generate.js';
import { ConfigLoader } from '../../load/load-dir.js';
import { parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$/;

async function create(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      team: { type: 'string', short: 't' },
      name: { type: 'string', short: 'n' },
      dir: { type: 'string', short: 'd' },
      file: { type: 'string', short: 'f' },
      'expires-in': { type: 'string' },
      owner: { type: 'string' },
    },
    0,
  );
  if (!values.team) throw new UsageError('--team T is required');
  const dir = values.dir ?? '.';
  // The default suffix is independent random bits: a name must never reveal part of the secret.
  const name = values.name ?? `${values.team}-${randomBytes(3).toString('hex')}`;
  if (!NAME.test(name)) throw new UsageError(`--name "${name}" must be lowercase letters, digits, ".", "_" or "-"`);
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let expiresAt: string | undefined;
  if (values['expires-in']) {
    let ms: number;
    try {
      ms = durationMs(values['expires-in']);
    } catch {
      throw new UsageError('--expires-in must be a duration such as 90d or 720h');
    }
    expiresAt = iso(now + ms);
  }
  const { config } = await new ConfigLoader(dir).load();
  const index = buildIndex(config);
  const team = index.teams.get(values.team);
  if (!team) {
    console.error(`sluice keys create: no Team "${values.team}" in ${dir}`);
    return 1;
  }
  if (index.keys.has(name)) {
    console.error(`sluice keys create: a Key named "${name}" already exists (${index.keys.get(name)?.source.file})`);
    return 1;
  }
  const secret = generateSecret();
  const doc = keyDocumentYaml({
    name,
    team: values.team,
    hash: hashSecret(secret),
    createdAt: iso(now),
    ...(expiresAt ? { expiresAt } : {}),
    ...(values.owner ? { owner: values.owner } : {}),
  });
  // By default the key goes next to its team, so a reviewer sees both in one file.
  const target = values.file ?? join(dir, team.source.file);
  const existing = await readFile(target, 'utf8').catch(() => null);
  if (existing === null) await writeFile(target, doc);
  else await appendFile(target, `${existing.endsWith('\n') || existing === '' ? '' : '\n'}---\n${doc}`);
  console.error(`wrote Key "${name}" (hash only) to ${target}`);
  console.error('The secret below is shown once and is not stored anywhere. Hand it to its owner now:');
  console.log(secret);
  return 0;
}

async function hash(argv: string[]): Promise<number> {
  parseFlags(argv, {}, 0);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const secret = Buffer.concat(chunks).toString('utf8').trim();
  if (!secret) throw new UsageError('pipe the secret on stdin, e.g. printf %s "$TOKEN" | sluice keys hash');
  console.log(hashSecret(secret));
  return 0;
}

export const command: CliCommand = {
  name: 'keys',
  summary: 'Create virtual keys (hash-only in config) and hash admin tokens',
  help: `Usage:
  sluice keys create --team T [--name N] [--dir D] [--file F] [--expires-in 90d] [--owner EMAIL]
  sluice keys hash   < secret

create  Generates a secret "sk-sluice-…" (256 random bits), prints it ONCE on stdout, and appends
        a Key document holding only its "sha256:" hash to the YAML file that defines team T
        (or to --file F). Commit the file; hand the secret to its owner.
          --team T        Team the key belongs to (required; must exist in D).
          --name N        Key name (default: T plus a random suffix).
          --dir D         Config folder (default ".").
          --file F        Write to this file instead of the team's file.
          --expires-in    Lifetime, e.g. 90d, 720h (sets expires_at).
          --owner EMAIL   Stored as metadata.owner.
hash    Prints "sha256:<hex>" of the secret read from stdin (for Gateway admin_key_hashes).`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'create') return create(rest);
    if (sub === 'hash') return hash(rest);
    throw new UsageError(sub ? `unknown keys subcommand '${sub}'` : 'missing subcommand: create or hash');
  },
};
