/** `Prefer: wait=N` (RFC 7240): how long the client is willing to hold the connection, in ms. */
export const MAX_PREFER_WAIT_MS = 300_000;

export function preferWaitMs(header: string | undefined): number {
  if (!header) return 0;
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d+(?:\.\d+)?)"?/i.exec(header);
  if (!m) return 0;
  return Math.min(MAX_PREFER_WAIT_MS, Math.round(Number(m[1]) * 1000));
}
