import { defineRule, type Finding } from '../types.js';

/** A production route with a single point of failure turns a provider outage into ours. */
export const productionRouteFallback = defineRule<{ tag: string; value: string }>({
  id: 'production-route-fallback',
  description: 'Routes tagged `tag: value` (default environment: production) must declare a fallback chain.',
  defaultSeverity: 'error',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tag: {
        type: 'string',
        minLength: 1,
        description: 'Tag name selecting production routes. Default "environment".',
      },
      value: {
        type: 'string',
        minLength: 1,
        description: 'Tag value selecting production routes. Default "production".',
      },
    },
  },
  defaults: { tag: 'environment', value: 'production' },
  check({ index }, { tag, value }) {
    const out: Finding[] = [];
    for (const route of index.config.routes) {
      if (route.doc.tags?.[tag] !== value) continue;
      if ((route.doc.fallback ?? []).length === 0) {
        out.push({
          target: route,
          path: ['name'],
          message: `route "${route.doc.name}" is tagged ${tag}: ${value} but has no fallback`,
        });
      }
    }
    return out;
  },
});
