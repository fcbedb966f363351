/**
 * Where the CLI reads usage from: a running data plane or control plane (GET /v1/usage with an
 * admin token), or a usage SQLite file directly (--db). Same UsageResult either way.
 */
import { parseUsageQuery } from '../query/parse.js';
import { createUsageQueryService } from '../query/service.js';
import type { UsageResult } from '../query/types.js';

export type UsageSourceSpec = { url: string; adminToken: string } | { dbFile: string };

export class UsageFetchError extends Error {
  override name = 'UsageFetchError';
}

export async function fetchUsage(source: UsageSourceSpec, params: URLSearchParams): Promise<UsageResult> {
  if ('dbFile' in source) {
    const service = createUsageQueryService({ sqliteFile: source.dbFile });
    try {
      return await service.query(parseUsageQuery(params));
    } finally {
      await service.close();
    }
  }
  const url = `${source.url.replace(/\/+$/, '')}/v1/usage?${params}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${source.adminToken}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new UsageFetchError(`cannot reach ${source.url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text();
  if (!res.ok) throw new UsageFetchError(`${source.url} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as UsageResult;
}
