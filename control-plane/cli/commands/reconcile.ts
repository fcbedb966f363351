/** `sluice reconcile`: our daily cost per provider/model vs a provider invoice CSV; flags > 1%. */
import { readFile } from 'node:fs/promises';
import { fetchUsage, UsageFetchError, type UsageSourceSpec } from '../../../data-plane/usage/api/client.js';
import { oursByDay, type ReconcileLine, reconcile } from '../../../data-plane/usage/reconcile/compare.js';
import { InvoiceFormatError, parseInvoiceCsv } from '../../../data-plane/usage/reconcile/invoice-csv.js';
import { baseUrl, parseFlags } from '../args.js';
import { type CliCommand, UsageError } from '../command.js';

const DAY = 86_400_000;

export function renderReconcile(lines: ReconcileLine[]): string {
  const header = ['DATE', 'PROVIDER', 'MODEL', 'OURS_USD', 'INVOICE_USD', 'DIFF_USD', 'DIFF_%', ''];
  const rows = lines.map((l) => [
    l.date,
    l.provider,
    l.model,
    l.oursUsd,
    l.invoiceUsd,
    l.diffUsd,
    l.diffPercent === null ? 'n/a' : l.diffPercent.toFixed(2),
    l.flagged ? 'MISMATCH' : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}

export function parseSource(values: { 'usage-url'?: string; 'admin-token'?: string; db?: string }): UsageSourceSpec {
  if (values.db) return { dbFile: values.db };
  const url = baseUrl(values['usage-url'] ?? process.env.SLUICE_USAGE_URL, '--usage-url (or --db)');
  const adminToken = values['admin-token'] ?? process.env.SLUICE_ADMIN_TOKEN;
  if (!adminToken) throw new UsageError('--admin-token (or SLUICE_ADMIN_TOKEN) is required with --usage-url');
  return { url, adminToken };
}

export const command: CliCommand = {
  name: 'reconcile',
  summary: 'Compare our daily cost per provider/model with a provider invoice CSV (flags > 1%)',
  help: `Usage: sluice reconcile --invoice FILE.csv (--usage-url URL --admin-token TOKEN | --db usage.sqlite)
                        [--threshold PERCENT] [--map INVOICE_PROVIDER=SLUICE_PROVIDER …] [--json]

Sums our recorded cost per UTC day, provider and upstream model over the invoice's dates and
compares it with the invoice. A line is flagged when the two differ by more than --threshold
(default 1) percent of the invoice amount, or when only one side has spend.

Invoice CSV: a header row with the columns (any order, case-insensitive)
  date (YYYY-MM-DD, UTC)  — or day, usage_date, billing_date
  provider                — or vendor, service (use --map when names differ from Sluice's ids)
  model                   — or model_name, model_id
  cost_usd                — or cost, amount, amount_usd, total_cost ("$1,234.50" accepted)

Options:
  --invoice FILE       The provider's CSV export.
  --usage-url URL      A data plane or control plane serving GET /v1/usage (or SLUICE_USAGE_URL).
  --admin-token TOKEN  Admin token (or SLUICE_ADMIN_TOKEN).
  --db FILE            Read a usage.sqlite file directly instead.
  --threshold PERCENT  Allowed difference, default 1.
  --map A=B            Invoice provider name A is Sluice provider id B (repeatable).
  --json               Print JSON instead of a table.

Exit status: 0 all lines within the threshold, 1 discrepancies found or usage unreachable, 2 bad usage.`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        invoice: { type: 'string' },
        'usage-url': { type: 'string' },
        'admin-token': { type: 'string' },
        db: { type: 'string' },
        threshold: { type: 'string' },
        map: { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
      0,
    );
    if (!values.invoice) throw new UsageError('--invoice <csv file> is required');
    const source = parseSource(values);
    const threshold = values.threshold ?? '1';
    if (!/^\d+(\.\d{1,2})?$/.test(threshold)) throw new UsageError('--threshold must be a percentage like 1 or 0.5');
    const [whole, frac = ''] = threshold.split('.');
    const basisPoints = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
    const providerMap: Record<string, string> = {};
    for (const m of values.map ?? []) {
      const [a, b] = m.split('=');
      if (!a || !b) throw new UsageError(`--map must be INVOICE=SLUICE (got '${m}')`);
      providerMap[a.toLowerCase()] = b;
    }
    let invoice: ReturnType<typeof parseInvoiceCsv>;
    try {
      invoice = parseInvoiceCsv(await readFile(values.invoice, 'utf8'));
    } catch (err) {
      if (err instanceof InvoiceFormatError) {
        console.error(`sluice reconcile: ${values.invoice}: ${err.message}`);
        return 2;
      }
      throw err;
    }
    if (invoice.length === 0) {
      console.error(`sluice reconcile: ${values.invoice} has no rows`);
      return 2;
    }
    const days = invoice.map((l) => Date.parse(l.date));
    const params = new URLSearchParams({
      from: String(Math.min(...days)),
      to: String(Math.max(...days) + DAY),
      group_by: 'provider,model',
      granularity: 'day',
      limit: '100000',
    });
    let ours: Map<string, bigint>;
    try {
      ours = oursByDay(await fetchUsage(source, params));
    } catch (err) {
      if (err instanceof UsageFetchError) {
        console.error(`sluice reconcile: ${err.message}`);
        return 1;
      }
      throw err;
    }
    const lines = reconcile(invoice, ours, basisPoints, providerMap);
    const flagged = lines.filter((l) => l.flagged).length;
    if (values.json) console.log(JSON.stringify({ thresholdPercent: threshold, flagged, lines }, null, 2));
    else {
      console.log(renderReconcile(lines));
      console.log(
        flagged === 0
          ? `\nAll ${lines.length} lines within ${threshold}%.`
          : `\n${flagged} of ${lines.length} lines differ by more than ${threshold}%.`,
      );
    }
    return flagged > 0 ? 1 : 0;
  },
};
