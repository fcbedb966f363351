import { isoDate, timestampMs } from '../config/units.js';
import type { CheckContext } from './context.js';

/**
 * Prices are dated and unambiguous: each entry's date exists, no model has two entries for the
 * same instant, no model is priced by two Pricing documents, and every routed model has a price
 * in effect now (otherwise its requests could not be charged).
 */
export function checkPricing(ctx: CheckContext): void {
  const ix = ctx.index;
  for (const pricing of ix.config.pricing) {
    for (const [model, entries] of Object.entries(pricing.doc.models)) {
      const id = `${pricing.doc.provider}/${model}`;
      const owner = ix.prices.get(id);
      if (owner && owner.pricing !== pricing) {
        ctx.report(
          pricing,
          ['models', model],
          'pricing/overlap',
          `${id} is already priced at ${ctx.where(owner.pricing, ['models', model])}; keep all dated prices of a model in one list`,
        );
        continue;
      }
      const seen = new Map<number, number>();
      entries.forEach((entry, i) => {
        const ms = timestampMs(entry.effective_from);
        const path = ['models', model, i, 'effective_from'];
        if (ms === null) {
          ctx.report(pricing, path, 'pricing/invalid-date', `"${entry.effective_from}" is not a valid date`);
          return;
        }
        const prev = seen.get(ms);
        if (prev !== undefined) {
          ctx.report(
            pricing,
            path,
            'pricing/duplicate-date',
            `${id} has two prices effective from ${isoDate(ms)} (entries ${prev} and ${i})`,
          );
        } else seen.set(ms, i);
      });
    }
  }
  for (const route of ix.config.routes) {
    route.doc.targets.forEach((t, i) => {
      if (!ix.providers.has(t.provider)) return; // reported as an unknown reference
      const id = `${t.provider}/${t.model}`;
      const priced = ix.prices.get(id);
      const dates = (priced?.entries ?? [])
        .map((e) => timestampMs(e.effective_from))
        .filter((d): d is number => d !== null);
      if (!dates.some((d) => d <= ctx.now)) {
        const later = dates.filter((d) => d > ctx.now).sort((a, b) => a - b)[0];
        ctx.report(
          route,
          ['targets', i, 'model'],
          'pricing/missing-price',
          later === undefined
            ? `no price for ${id}: add it to a Pricing document (use "0" for free models)`
            : `no price for ${id} is in effect yet (the first starts ${isoDate(later)})`,
        );
      }
    });
  }
}
