/**
 * Resolves provider credential references ("env:NAME" / "file:/path") once and caches the value
 * by reference, so the hot path never touches the environment or the disk. `resetCredentials()`
 * is called when a new snapshot's providers are warmed up (a rotated file is re-read then).
 * Values never appear in errors or logs; only the reference does.
 */
import { readFileSync } from 'node:fs';
import { ProviderError } from '../types.js';

const cache = new Map<string, string>();

export function resolveCredential(ref: string | null): string | null {
  if (ref === null || ref === '') return null;
  const hit = cache.get(ref);
  if (hit !== undefined) return hit;
  let value: string | undefined;
  if (ref.startsWith('env:')) {
    value = process.env[ref.slice(4)];
  } else if (ref.startsWith('file:')) {
    try {
      value = readFileSync(ref.slice(5), 'utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'read error';
      throw new ProviderError('auth', `credential ${ref} could not be read (${code})`, null);
    }
  } else {
    // Never echo the value: a misconfigured plaintext secret would end up in logs.
    throw new ProviderError('auth', 'credential reference must start with env: or file:', null);
  }
  if (value === undefined || value === '') {
    throw new ProviderError('auth', `credential ${ref} is not set or empty`, null);
  }
  cache.set(ref, value);
  return value;
}

export function resetCredentials(): void {
  cache.clear();
}
