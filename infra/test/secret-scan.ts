import { type RecordedResource, SECRET_SIG, SIG_KEY } from './mocks.js';

/** Where a secret value was found in a resource's inputs, and whether Pulumi marked it secret there. */
export interface SecretHit {
  resource: string;
  path: string;
  markedSecret: boolean;
  needle: string;
}

function scan(v: unknown, path: string, marked: boolean, needles: string[], resource: string, out: SecretHit[]): void {
  if (typeof v === 'string') {
    for (const needle of needles) if (v.includes(needle)) out.push({ resource, path, markedSecret: marked, needle });
  } else if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) scan(x, `${path}[${i}]`, marked, needles, resource, out);
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === SECRET_SIG) {
      scan(o.value, path, true, needles, resource, out);
      return;
    }
    for (const [k, x] of Object.entries(o)) scan(x, path ? `${path}.${k}` : k, marked, needles, resource, out);
  }
}

/** Every occurrence of any needle in any recorded resource input. */
export function findSecretValues(recorded: RecordedResource[], needles: string[]): SecretHit[] {
  const out: SecretHit[] = [];
  for (const r of recorded) scan(r.inputs, '', false, needles, `${r.type} ${r.name}`, out);
  return out;
}
