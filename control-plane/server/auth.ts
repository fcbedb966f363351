import { createHash, timingSafeEqual } from 'node:crypto';

/** True when the request carries "Authorization: Bearer <token>" whose SHA-256 is listed. Constant time per hash. */
export function isAdmin(headers: Record<string, string>, adminKeyHashes: readonly string[]): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (!m) return false;
  const digest = createHash('sha256').update(m[1]).digest();
  let ok = false;
  for (const hex of adminKeyHashes) {
    const expected = Buffer.from(hex, 'hex');
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) ok = true;
  }
  return ok;
}
