/** `sluice cache purge|stats|feedback`: the data plane's cache admin endpoints. */
import { baseUrl, parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

interface CacheStats {
  exact: { backend: string; entries: number; bytes: number | null; maxBytes: number | null; evictions: number };
  semantic: {
    indexes: Array<{ dims: number; kind: string; items: number }>;
    embedders: Array<{ embedder: string; state: string; error?: string }>;
  };
  lookups: number;
  hits: { exact: number; semantic: number };
  misses: number;
  bypasses: number;
  fills: number;
  hitRate: { exact: number; semantic: number; total: number };
  falsePositiveReports: Record<string, number>;
  semanticRejections: Record<string, number>;
  evictions: Record<string, number>;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const kv = (m: Record<string, number>) =>
  Object.keys(m).length === 0
    ? 'none'
    : Object.entries(m)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

export function renderCacheStats(s: CacheStats): string {
  const bytes = s.exact.bytes === null ? '' : `, ${s.exact.bytes} of ${s.exact.maxBytes} bytes`;
  const lines = [
    `exact store:      ${s.exact.backend}, ${s.exact.entries} entries${bytes}`,
    `semantic index:   ${s.semantic.indexes.map((i) => `${i.kind} ${i.dims}d ${i.items} items`).join('; ') || 'empty'}`,
    `embedders:        ${s.semantic.embedders.map((e) => `${e.embedder} ${e.state}${e.error ? ` (${e.error})` : ''}`).join('; ') || 'none'}`,
    `lookups:          ${s.lookups} (hits exact ${s.hits.exact}, semantic ${s.hits.semantic}; misses ${s.misses}; bypasses ${s.bypasses})`,
    `hit rate:         exact ${pct(s.hitRate.exact)}, semantic ${pct(s.hitRate.semantic)}, total ${pct(s.hitRate.total)}`,
    `fills:            ${s.fills}`,
    `false positives:  ${kv(s.falsePositiveReports)}`,
    `guard rejections: ${kv(s.semanticRejections)}`,
    `evictions:        ${kv(s.evictions)}`,
  ];
  return lines.join('\n');
}

async function call(url: string, token: string, method: 'GET' | 'POST', path: string, body?: unknown) {
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    return { ok: false as const, message: `cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const text = await res.text();
  if (!res.ok) return { ok: false as const, message: `${url}${path} answered ${res.status}: ${text.slice(0, 500)}` };
  return { ok: true as const, body: JSON.parse(text) as unknown };
}

export const command: CliCommand = {
  name: 'cache',
  summary: 'Purge the cache, show its statistics, or report a wrong cache hit',
  help: `Usage: sluice cache <purge|stats|feedback> --url URL --admin-token TOKEN [options]

  purge     POST /admin/cache/purge: removes exact and semantic entries.
              --namespace NS   e.g. team:search, org:acme, key:search-prod, shared:faq
              --route NAME     only entries of this route (combine with --namespace or alone)
              --all            everything (required when neither is given)
  stats     GET /admin/cache/stats: entries, hit rate per tier, false positives, evictions.
              --json           print the JSON answer
  feedback  POST /admin/cache/feedback: evicts the entry that answered wrongly and counts a
            false positive.
              --request-id ID  x-request-id of the wrong answer, or
              --entry-id ID    x-sluice-cache-entry of the wrong answer

Options:
  --url URL            Data plane base URL (or SLUICE_DATA_PLANE_URL).
  --admin-token TOKEN  Admin token (or SLUICE_ADMIN_TOKEN).

With Redis configured the exact cache is shared, so one replica purges it for all; the in-process
semantic index (no Qdrant) is per replica: purge each replica.

Exit status: 0 ok, 1 the data plane refused or could not be reached, 2 bad usage.`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        url: { type: 'string' },
        'admin-token': { type: 'string' },
        namespace: { type: 'string' },
        route: { type: 'string' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        'request-id': { type: 'string' },
        'entry-id': { type: 'string' },
      },
      1,
    );
    const action = positionals[0];
    if (action !== 'purge' && action !== 'stats' && action !== 'feedback') {
      throw new UsageError('name an action: purge, stats or feedback');
    }
    const url = baseUrl(values.url ?? process.env.SLUICE_DATA_PLANE_URL, '--url');
    const token = values['admin-token'] ?? process.env.SLUICE_ADMIN_TOKEN;
    if (!token) throw new UsageError('--admin-token (or SLUICE_ADMIN_TOKEN) is required');

    if (action === 'purge') {
      if (!values.namespace && !values.route && !values.all) {
        throw new UsageError('name --namespace and/or --route, or pass --all');
      }
      const r = await call(url, token, 'POST', '/admin/cache/purge', {
        namespace: values.namespace ?? null,
        route: values.route ?? null,
        all: values.all === true,
      });
      if (!r.ok) return fail(r.message);
      const { purged } = r.body as { purged: { exact: number; semantic: number } };
      console.log(`purged ${purged.exact} exact and ${purged.semantic} semantic entries`);
      return 0;
    }
    if (action === 'feedback') {
      const requestId = values['request-id'];
      const entryId = values['entry-id'];
      if (!requestId === !entryId) throw new UsageError('pass exactly one of --request-id or --entry-id');
      const r = await call(
        url,
        token,
        'POST',
        '/admin/cache/feedback',
        requestId ? { request_id: requestId } : { entry_id: entryId },
      );
      if (!r.ok) return fail(r.message);
      const b = r.body as { entry_id: string; tier: string };
      console.log(`evicted ${b.entry_id} (${b.tier}); counted as a false positive`);
      return 0;
    }
    const r = await call(url, token, 'GET', '/admin/cache/stats');
    if (!r.ok) return fail(r.message);
    console.log(values.json ? JSON.stringify(r.body, null, 2) : renderCacheStats(r.body as CacheStats));
    return 0;
  },
};

function fail(message: string): number {
  console.error(`sluice cache: ${message}`);
  return 1;
}
