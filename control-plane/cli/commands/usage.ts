/** `sluice usage`: the usage API (GET /v1/usage) as a table. */
import { formatScaled } from '../../../common/money.js';
import { fetchUsage, UsageFetchError } from '../../../data-plane/usage/api/client.js';
import type { UsageResult } from '../../../data-plane/usage/query/types.js';
import { parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';
import { parseSource } from './reconcile.js';

/** Exact pico string → USD rounded half-up to 4 decimals (for reading; JSON output stays exact). */
function usd4(pico: string): string {
  const p = BigInt(pico);
  return formatScaled(Number((p + 50_000_000n) / 100_000_000n), 4);
}

function bucketLabel(ms: number, granularity: string | null): string {
  const iso = new Date(ms).toISOString();
  return granularity === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')}Z`;
}

export function renderUsageTable(result: UsageResult): string {
  const groupCols = result.group_by.map((g) => g.toUpperCase());
  const header = [
    ...(result.granularity ? ['BUCKET'] : []),
    ...groupCols,
    'REQUESTS',
    'ERRORS',
    'CACHE_HITS',
    'PROMPT_TOK',
    'OUTPUT_TOK',
    'COST_USD',
    'SAVED_USD',
  ];
  const metrics = (m: UsageResult['totals']) => [
    String(m.requests),
    String(m.errors),
    String(m.cache_hits),
    String(m.prompt_tokens),
    String(m.output_tokens),
    usd4(m.cost_pico),
    usd4(m.saved_pico),
  ];
  const rows = result.rows.map((r) => [
    ...(result.granularity ? [bucketLabel(r.bucket ?? 0, result.granularity)] : []),
    ...result.group_by.map((g) => r.group[g] || '-'),
    ...metrics(r),
  ]);
  const lead = header.length - 7;
  const total = [...Array.from({ length: lead }, (_, i) => (i === 0 ? 'TOTAL' : '')), ...metrics(result.totals)];
  const all = [header, ...rows, total];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i < lead ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const range = `${new Date(result.from).toISOString()} → ${new Date(result.to).toISOString()} · source ${result.source}`;
  return [range, fmt(header), ...rows.map(fmt), fmt(total)].join('\n');
}

export const command: CliCommand = {
  name: 'usage',
  summary: 'Show spend and tokens from the usage API, grouped and bucketed, as a table',
  help: `Usage: sluice usage (--url URL --admin-token TOKEN | --db usage.sqlite) [filters] [--group-by …]

Reads GET /v1/usage from a data plane or the control plane (or a usage.sqlite file) and prints
one row per group (and time bucket), with a TOTAL line. Costs are exact; the table rounds to 4
decimals, --json prints the exact answer.

Options:
  --url URL            Data plane or control plane base URL (or SLUICE_USAGE_URL).
  --admin-token TOKEN  Admin token (or SLUICE_ADMIN_TOKEN).
  --db FILE            Read a usage.sqlite file directly instead.
  --from TIME          Epoch ms or ISO date/time (default: 24 h before --to).
  --to TIME            Epoch ms or ISO date/time, exclusive (default: now).
  --key, --team, --org, --model, --provider, --route NAME[,NAME]  Filters.
  --tag NAME=VALUE     Tag filter (repeatable).
  --group-by LIST      Any of key,team,org,model,provider,route,endpoint,status,cache_tier,tag:<name>.
  --granularity G      minute, hour or day.
  --limit N            Max rows (default 10000).
  --json               Print the API's JSON.

Exit status: 0 ok, 1 the usage API refused or could not be reached, 2 bad usage.`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        url: { type: 'string' },
        'admin-token': { type: 'string' },
        db: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        key: { type: 'string' },
        team: { type: 'string' },
        org: { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string' },
        route: { type: 'string' },
        tag: { type: 'string', multiple: true },
        'group-by': { type: 'string' },
        granularity: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
      0,
    );
    const source = parseSource({ 'usage-url': values.url, 'admin-token': values['admin-token'], db: values.db });
    const params = new URLSearchParams();
    for (const name of [
      'from',
      'to',
      'key',
      'team',
      'org',
      'model',
      'provider',
      'route',
      'granularity',
      'limit',
    ] as const) {
      const v = values[name];
      if (v !== undefined) params.set(name, v);
    }
    if (values['group-by']) params.set('group_by', values['group-by']);
    for (const t of values.tag ?? []) params.append('tag', t);
    let result: UsageResult;
    try {
      result = await fetchUsage(source, params);
    } catch (err) {
      if (err instanceof UsageFetchError) {
        console.error(`sluice usage: ${err.message}`);
        return 1;
      }
      if (err instanceof Error && err.name === 'UsageQueryError') throw new UsageError(err.message);
      throw err;
    }
    console.log(values.json ? JSON.stringify(result, null, 2) : renderUsageTable(result));
    return 0;
  },
};
