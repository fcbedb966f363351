import type { KeyDoc, Loaded } from '../config/model.js';
import { isoDate, timestampMs } from '../config/units.js';
import type { CheckContext } from './context.js';

/** Key hashes are unique (also against admin tokens); expiry dates exist; expired keys warn. */
export function checkKeys(ctx: CheckContext): void {
  const byHash = new Map<string, Loaded<KeyDoc>>();
  const describe = (k: Loaded<KeyDoc>) => `"${k.doc.name}" (${ctx.where(k, ['hash'])})`;
  for (const key of ctx.index.config.keys) {
    const prev = byHash.get(key.doc.hash);
    if (prev !== undefined) {
      ctx.report(
        key,
        ['hash'],
        'key/duplicate-hash',
        `key "${key.doc.name}" has the same hash as key ${describe(prev)}; every key needs its own secret`,
      );
    } else byHash.set(key.doc.hash, key);
    if (key.doc.expires_at !== undefined) {
      const ms = timestampMs(key.doc.expires_at);
      if (ms === null) {
        ctx.report(
          key,
          ['expires_at'],
          'key/invalid-date',
          `"${key.doc.expires_at}" is not a valid date (a date-time needs an offset such as "Z")`,
        );
      } else if (ms <= ctx.now && (key.doc.status ?? 'active') === 'active') {
        ctx.report(
          key,
          ['expires_at'],
          'key/expired',
          `key "${key.doc.name}" expired on ${isoDate(ms)}; revoke or remove it`,
          'warning',
        );
      }
    }
  }
  const gateway = ctx.index.gateway;
  (gateway?.doc.admin_key_hashes ?? []).forEach((hash, i) => {
    const key = byHash.get(hash);
    if (key)
      ctx.report(
        gateway!,
        ['admin_key_hashes', i],
        'key/duplicate-hash',
        `admin token hash equals virtual key ${describe(key)}; use a separate admin secret`,
      );
  });
}
