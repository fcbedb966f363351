import { closest } from '../load/schema-validator.js';
import type { CheckContext } from './context.js';

function hint(name: string, candidates: Iterable<string>): string {
  const c = closest(name, [...candidates]);
  return c ? ` (did you mean "${c}"?)` : '';
}

/** Every name a document mentions exists and has the right kind. */
export function checkReferences(ctx: CheckContext): void {
  const ix = ctx.index;
  const unknown = (what: string, name: string, pool: Map<string, unknown>) =>
    `unknown ${what} "${name}"${hint(name, pool.keys())}`;

  for (const team of ix.config.teams) {
    if (!ix.orgs.has(team.doc.org))
      ctx.report(team, ['org'], 'ref/unknown-org', unknown('Organization', team.doc.org, ix.orgs));
  }
  for (const key of ix.config.keys) {
    if (!ix.teams.has(key.doc.team))
      ctx.report(key, ['team'], 'ref/unknown-team', unknown('Team', key.doc.team, ix.teams));
  }
  for (const pricing of ix.config.pricing) {
    if (!ix.providers.has(pricing.doc.provider)) {
      ctx.report(
        pricing,
        ['provider'],
        'ref/unknown-provider',
        unknown('Provider', pricing.doc.provider, ix.providers),
      );
    }
  }
  for (const provider of ix.config.providers) {
    if (provider.doc.simulated && provider.doc.type !== 'simulated') {
      ctx.report(
        provider,
        ['simulated'],
        'ref/invalid-field',
        '"simulated" settings are only allowed with type: simulated',
      );
    }
  }
  for (const route of ix.config.routes) {
    const r = route.doc;
    r.targets.forEach((t, i) => {
      if (!ix.providers.has(t.provider)) {
        ctx.report(
          route,
          ['targets', i, 'provider'],
          'ref/unknown-provider',
          unknown('Provider', t.provider, ix.providers),
        );
      }
    });
    if (r.targets.every((t) => t.weight === 0)) {
      ctx.report(route, ['targets'], 'route/zero-weights', 'at least one target needs a weight above 0');
    }
    const kind = r.type ?? 'chat';
    (r.fallback ?? []).forEach((name, i) => {
      const target = ix.routes.get(name);
      if (!target) ctx.report(route, ['fallback', i], 'ref/unknown-route', unknown('Route', name, ix.routes));
      else if ((target.doc.type ?? 'chat') !== kind) {
        ctx.report(
          route,
          ['fallback', i],
          'ref/route-type',
          `fallback "${name}" is a ${target.doc.type ?? 'chat'} route, this is a ${kind} route`,
        );
      } else if (name === r.name) {
        ctx.report(route, ['fallback', i], 'route/fallback-cycle', `route "${r.name}" falls back to itself`);
      }
    });
    const cwf = r.context_window_fallback;
    if (cwf !== undefined && !ix.routes.has(cwf)) {
      ctx.report(route, ['context_window_fallback'], 'ref/unknown-route', unknown('Route', cwf, ix.routes));
    }
  }
  for (const cache of ix.config.cachePolicies) {
    const embedder = cache.doc.semantic?.embedder;
    if (embedder?.type === 'upstream') {
      const target = ix.routes.get(embedder.route);
      const path = ['semantic', 'embedder', 'route'];
      if (!target) ctx.report(cache, path, 'ref/unknown-route', unknown('Route', embedder.route, ix.routes));
      else if (target.doc.type !== 'embeddings') {
        ctx.report(
          cache,
          path,
          'ref/route-type',
          `embedder route "${embedder.route}" must be a route with type: embeddings`,
        );
      }
    }
  }
  // Hierarchy levels: cache policy, guardrails and allow-listed routes.
  for (const level of [...ix.config.organizations, ...ix.config.teams, ...ix.config.keys]) {
    const d = level.doc;
    if (d.cache_policy !== undefined && d.cache_policy !== 'none' && !ix.cachePolicies.has(d.cache_policy)) {
      ctx.report(
        level,
        ['cache_policy'],
        'ref/unknown-cache-policy',
        unknown('CachePolicy', d.cache_policy, ix.cachePolicies),
      );
    }
    (d.guardrails ?? []).forEach((name, i) => {
      const policy = ix.policies.get(name);
      if (!policy) ctx.report(level, ['guardrails', i], 'ref/unknown-policy', unknown('Policy', name, ix.policies));
      else if (!policy.doc.guardrail) {
        ctx.report(level, ['guardrails', i], 'ref/not-a-guardrail', `Policy "${name}" has no guardrail section`);
      }
    });
    (d.allowed_routes ?? []).forEach((pattern, i) => {
      if (pattern.includes('*')) {
        if (pattern !== '*' && ctx.resolver.expand([pattern])?.size === 0) {
          ctx.report(
            level,
            ['allowed_routes', i],
            'ref/unknown-route',
            `route pattern "${pattern}" matches no route`,
            'warning',
          );
        }
      } else if (!ix.routes.has(pattern)) {
        ctx.report(level, ['allowed_routes', i], 'ref/unknown-route', unknown('Route', pattern, ix.routes));
      }
    });
  }
}
