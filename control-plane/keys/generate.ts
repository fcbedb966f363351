/** Virtual key secrets: generated here, shown once, stored in config only as a SHA-256 hash. */
import { createHash, randomBytes } from 'node:crypto';

/** "sk-sluice-" + 43 base64url characters (256 random bits). */
export function generateSecret(): string {
  return `sk-sluice-${randomBytes(32).toString('base64url')}`;
}

/** Config form of a secret's hash: "sha256:<64 lowercase hex>". */
export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
}

export interface KeyDocumentInput {
  name: string;
  team: string;
  hash: string;
  expiresAt?: string;
  owner?: string;
  createdAt: string;
}

/** A YAML Key document (without the leading "---"). */
export function keyDocumentYaml(k: KeyDocumentInput): string {
  const lines = [
    'apiVersion: sluice/v1',
    'kind: Key',
    `name: ${k.name}`,
    `team: ${k.team}`,
    `hash: ${k.hash}`,
    'status: active',
  ];
  if (k.expiresAt) lines.push(`expires_at: "${k.expiresAt}"`);
  lines.push('metadata:', `  created_at: "${k.createdAt}"`);
  if (k.owner) lines.push(`  owner: ${JSON.stringify(k.owner)}`);
  return `${lines.join('\n')}\n`;
}
