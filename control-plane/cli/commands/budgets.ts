/** `sluice budgets`: spend, burn rate and projection per node, read from a data plane's admin API. */
import type { BudgetReport, BudgetRow } from '../../../data-plane/limits/budget-report.js';
import { baseUrl, oneOf, parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';
import { UsageError } from '../command.js';

const FORMATS = ['table', 'json'] as const;

const usd = (s: string | null): string => (s === null ? '-' : `$${s}`);

export function renderBudgetTable(report: BudgetReport): string {
  const header = [
    'NODE',
    'BUDGET',
    'PERIOD',
    'SPENT',
    'RESERVED',
    'REMAINING',
    'USED',
    'BURN/MONTH',
    'PROJECTED',
    'IN-FLIGHT',
  ];
  const rows = report.nodes.map((n: BudgetRow) => [
    n.id,
    usd(n.usd.budget),
    n.period ? `${n.period} (${n.timezone})` : '-',
    usd(n.usd.spent),
    `$${(n.reservedMicros / 1e6).toFixed(2)}`,
    usd(n.usd.remaining),
    n.usedPercent === null ? '-' : `${n.usedPercent}%`,
    usd(n.usd.burnRatePerMonth),
    usd(n.usd.projected),
    String(n.inFlight),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `snapshot ${report.snapshotVersion} · limiter ${report.backend} · ${report.generatedAt}`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

export const command: CliCommand = {
  name: 'budgets',
  summary: 'Show budget spend, burn rate and projected period-end spend per key/team/org',
  help: `Usage: sluice budgets --data-plane URL --admin-token TOKEN [--node ID] [--format table|json]

Reads GET /admin/budgets from a running data plane and prints, per org/team/key: budget and
period, spent, reserved by requests in flight, remaining, burn rate (spend of the last hour
× 24 × 30) and projected spend at the end of the period. With Redis, any replica answers for all.

Options:
  --data-plane URL     Data plane base URL (or SLUICE_DATA_PLANE_URL).
  --admin-token TOKEN  Admin token (or SLUICE_ADMIN_TOKEN).
  --node ID            Only this node, e.g. team:search.
  --format FORMAT      table (default) or json.

Exit status: 0 ok, 1 the data plane refused or could not be reached, 2 bad usage.`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        'data-plane': { type: 'string' },
        'admin-token': { type: 'string' },
        node: { type: 'string' },
        format: { type: 'string' },
      },
      0,
    );
    const url = baseUrl(values['data-plane'] ?? process.env.SLUICE_DATA_PLANE_URL, '--data-plane');
    const token = values['admin-token'] ?? process.env.SLUICE_ADMIN_TOKEN;
    if (!token) throw new UsageError('--admin-token (or SLUICE_ADMIN_TOKEN) is required');
    const format = oneOf(values.format, FORMATS, '--format', 'table');
    const query = values.node ? `?node=${encodeURIComponent(values.node)}` : '';
    let res: Response;
    try {
      res = await fetch(`${url}/admin/budgets${query}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      console.error(`sluice budgets: cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    const text = await res.text();
    if (!res.ok) {
      console.error(`sluice budgets: ${url} answered ${res.status}: ${text.slice(0, 500)}`);
      return 1;
    }
    const report = JSON.parse(text) as BudgetReport;
    console.log(format === 'json' ? JSON.stringify(report, null, 2) : renderBudgetTable(report));
    return 0;
  },
};
