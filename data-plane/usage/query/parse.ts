/** Parses GET /v1/usage query strings into a UsageQuery (400 with a clear message on bad input). */
import {
  type FilterColumn,
  GRANULARITY_MS,
  GROUP_COLUMNS,
  type Granularity,
  type GroupKey,
  type UsageQuery,
  UsageQueryError,
} from './types.js';

const FILTERS: FilterColumn[] = ['key', 'team', 'org', 'model', 'provider', 'route', 'status'];
export const TAG_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;
const DAY = 86_400_000;

/** Epoch ms, or an ISO date/time ("2025-03-01", "2025-03-01T12:00:00Z"; dates are UTC). */
export function parseTime(text: string, param: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new UsageQueryError(`${param}: "${text}" is neither epoch ms nor an ISO date`);
  return ms;
}

function list(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function parseGroupKey(text: string): GroupKey {
  if ((GROUP_COLUMNS as readonly string[]).includes(text)) return text as GroupKey;
  if (text.startsWith('tag:') && TAG_NAME.test(text.slice(4))) return text as GroupKey;
  throw new UsageQueryError(`group_by: "${text}" is not one of ${GROUP_COLUMNS.join(', ')}, tag:<name>`);
}

export function parseUsageQuery(params: URLSearchParams, now = Date.now()): UsageQuery {
  const to = params.has('to') ? parseTime(params.get('to')!, 'to') : now;
  const from = params.has('from') ? parseTime(params.get('from')!, 'from') : to - DAY;
  if (from >= to) throw new UsageQueryError('from must be before to');
  const filters: UsageQuery['filters'] = {};
  for (const f of FILTERS) {
    const values = list(params, f);
    if (values.length > 0) filters[f] = values;
  }
  const tags: [string, string][] = list(params, 'tag').map((pair) => {
    const eq = pair.indexOf('=');
    const k = pair.slice(0, eq);
    if (eq <= 0 || !TAG_NAME.test(k)) throw new UsageQueryError(`tag: "${pair}" is not name=value`);
    return [k, pair.slice(eq + 1)];
  });
  const groupBy = [...new Set(list(params, 'group_by').map(parseGroupKey))];
  const g = params.get('granularity');
  let granularity: Granularity | null = null;
  if (g) {
    if (!(g in GRANULARITY_MS)) throw new UsageQueryError(`granularity: "${g}" is not minute, hour or day`);
    granularity = g as Granularity;
    const buckets = (to - from) / GRANULARITY_MS[granularity];
    if (buckets > 50_000) throw new UsageQueryError(`granularity ${g} over this range gives ${buckets} buckets`);
  }
  const limitText = params.get('limit');
  const limit = limitText ? Number(limitText) : 10_000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    throw new UsageQueryError('limit must be an integer in 1..100000');
  }
  return { from, to, filters, tags, groupBy, granularity, limit };
}
