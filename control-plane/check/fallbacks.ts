import type { CheckContext } from './context.js';

type Edges = (name: string) => string[];

/**
 * Fallback chains must end: a cycle (a → b → a) would bounce a failing request between routes
 * forever. Checked separately for `fallback` and `context_window_fallback`; each cycle is
 * reported once, at the edge leaving its alphabetically first route.
 */
export function checkFallbackCycles(ctx: CheckContext): void {
  const routes = ctx.index.routes;
  const fallbackEdges: Edges = (n) => (routes.get(n)?.doc.fallback ?? []).filter((t) => t !== n && routes.has(t));
  const cwEdges: Edges = (n) => {
    const t = routes.get(n)?.doc.context_window_fallback;
    return t !== undefined && routes.has(t) ? [t] : [];
  };
  for (const cycle of findCycles([...routes.keys()].sort(), fallbackEdges)) {
    const loaded = routes.get(cycle[0])!;
    const i = (loaded.doc.fallback ?? []).indexOf(cycle[1]);
    ctx.report(loaded, ['fallback', i], 'route/fallback-cycle', `fallback cycle: ${[...cycle, cycle[0]].join(' → ')}`);
  }
  for (const cycle of findCycles([...routes.keys()].sort(), cwEdges)) {
    const loaded = routes.get(cycle[0])!;
    ctx.report(
      loaded,
      ['context_window_fallback'],
      'route/fallback-cycle',
      `context_window_fallback cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    );
  }
}

/** Elementary cycles found by DFS, each rotated to start at its smallest name, deduplicated. */
function findCycles(nodes: string[], edges: Edges): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const found = new Map<string, string[]>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'active');
    stack.push(n);
    for (const next of edges(n)) {
      const s = state.get(next);
      if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(rotated.join('\u0000'), rotated);
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of nodes) if (!state.has(n)) visit(n);
  return [...found.values()];
}
