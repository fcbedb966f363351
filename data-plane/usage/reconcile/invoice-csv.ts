/**
 * Provider invoice / cost export CSV. Expected columns (header row, any order, case-insensitive):
 *   date      — YYYY-MM-DD (UTC day; an ISO timestamp is cut to its date)   aliases: day, usage_date, billing_date
 *   provider  — provider id as configured in Sluice                          aliases: vendor, service
 *   model     — upstream model name                                          aliases: model_name, model_id
 *   cost_usd  — decimal USD ("$1,234.50" accepted)                           aliases: cost, amount, amount_usd, total_cost, cost ($)
 * Rows with the same date/provider/model are summed. Amounts are parsed exactly into pico-dollars.
 */

export interface InvoiceLine {
  date: string;
  provider: string;
  model: string;
  pico: bigint;
}

export class InvoiceFormatError extends Error {
  override name = 'InvoiceFormatError';
}

const ALIASES: Record<'date' | 'provider' | 'model' | 'cost_usd', string[]> = {
  date: ['date', 'day', 'usage_date', 'billing_date'],
  provider: ['provider', 'vendor', 'service'],
  model: ['model', 'model_name', 'model_id'],
  cost_usd: ['cost_usd', 'cost', 'amount', 'amount_usd', 'total_cost', 'cost_($)', 'cost_(usd)'],
};

/** RFC 4180 fields: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  return rows;
}

/** "$1,234.5" → 1234500000000000n pico-dollars, exactly (up to 12 decimals; negative = credit). */
export function usdToPico(text: string): bigint {
  const t = text
    .trim()
    .replace(/^\$/, '')
    .replace(/,/g, '')
    .replace(/^(-?)\$/, '$1');
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new InvoiceFormatError(`"${text}" is not a USD amount`);
  const frac = m[3] ?? '';
  if (frac.length > 12) throw new InvoiceFormatError(`"${text}" has more than 12 decimals`);
  const value = BigInt((m[2] || '0') + frac.padEnd(12, '0'));
  return m[1] === '-' ? -value : value;
}

const norm = (h: string): string =>
  h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

export function parseInvoiceCsv(text: string): InvoiceLine[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new InvoiceFormatError('the invoice CSV is empty');
  const names = header.map(norm);
  const col = {} as Record<keyof typeof ALIASES, number>;
  for (const [field, aliases] of Object.entries(ALIASES) as [keyof typeof ALIASES, string[]][]) {
    const i = names.findIndex((n) => aliases.includes(n));
    if (i < 0) {
      throw new InvoiceFormatError(
        `missing column "${field}" (accepted headers: ${aliases.join(', ')}; found: ${header.join(', ')})`,
      );
    }
    col[field] = i;
  }
  const sums = new Map<string, InvoiceLine>();
  rows.forEach((r, idx) => {
    const line = idx + 2;
    const date = (r[col.date] ?? '').trim().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
      throw new InvoiceFormatError(`line ${line}: date "${r[col.date] ?? ''}" is not YYYY-MM-DD`);
    }
    const provider = (r[col.provider] ?? '').trim();
    const model = (r[col.model] ?? '').trim();
    if (!provider || !model) throw new InvoiceFormatError(`line ${line}: provider and model are required`);
    let pico: bigint;
    try {
      pico = usdToPico(r[col.cost_usd] ?? '');
    } catch (err) {
      throw new InvoiceFormatError(`line ${line}: ${(err as Error).message}`);
    }
    const key = `${date}|${provider.toLowerCase()}|${model}`;
    const prev = sums.get(key);
    if (prev) prev.pico += pico;
    else sums.set(key, { date, provider: provider.toLowerCase(), model, pico });
  });
  return [...sums.values()];
}
