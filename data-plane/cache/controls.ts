import type { KeyRecord } from '../../common/snapshot.js';

export interface CacheControls {
  /** May look up (false for no-cache / no-store). */
  read: boolean;
  /** May store the answer (false for no-store). */
  write: boolean;
  /** May use the semantic tier (false for no-semantic). */
  semantic: boolean;
}

function directives(value: string | undefined): Set<string> {
  if (!value) return new Set();
  return new Set(
    value
      .toLowerCase()
      .split(',')
      .map((d) => d.trim().split('=')[0]!)
      .filter(Boolean),
  );
}

/**
 * Per-request controls: `x-sluice-cache: no-cache | no-store | no-semantic` (comma-separated
 * combinations allowed) and the standard `Cache-Control: no-cache | no-store`.
 * no-cache = do not read, may write (refresh); no-store = neither read nor write.
 */
export function requestControls(headers: Readonly<Record<string, string>>): CacheControls {
  const d = new Set([...directives(headers['x-sluice-cache']), ...directives(headers['cache-control'])]);
  const noStore = d.has('no-store');
  return { read: !noStore && !d.has('no-cache'), write: !noStore, semantic: !d.has('no-semantic') };
}

/** Key metadata `cache: off` opts a key out even when its team's policy caches. */
export function keyOptedOut(key: KeyRecord): boolean {
  const v = key.metadata?.cache ?? key.metadata?.['sluice-cache'];
  return v === 'off' || v === 'false' || v === 'disabled';
}
