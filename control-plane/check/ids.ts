import type { Loaded } from '../config/model.js';
import type { CheckContext } from './context.js';

/** Every name is unique within its kind; there is at most one Gateway document. */
export function checkDuplicateIds(ctx: CheckContext): void {
  const c = ctx.index.config;
  const lists: Loaded[][] = [
    c.organizations,
    c.teams,
    c.keys,
    c.providers,
    c.routes,
    c.pricing,
    c.cachePolicies,
    c.policies,
  ];
  for (const list of lists) {
    const first = new Map<string, Loaded>();
    for (const item of list) {
      const prev = first.get(item.doc.name);
      if (prev) {
        ctx.report(
          item,
          ['name'],
          'ref/duplicate-id',
          `duplicate ${item.doc.kind} "${item.doc.name}": already defined at ${ctx.where(prev)}`,
        );
      } else first.set(item.doc.name, item);
    }
  }
  const [gateway, ...extra] = c.gateways;
  for (const g of extra) {
    ctx.report(
      g,
      ['kind'],
      'ref/duplicate-id',
      `only one Gateway document is allowed: already defined at ${ctx.where(gateway)}`,
    );
  }
}
