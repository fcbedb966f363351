/**
 * A cheap structural check of an incoming snapshot before it may replace the live one. Runs once
 * per push (not per request) and by hand, not ajv: it checks what the hot path relies on — the
 * schema version, every map the stages index into, and that every reference resolves (key chains →
 * nodes, route targets → providers, fallbacks → routes, key cache/guardrail policies → records).
 * The control plane did the full schema validation; this guards against a half-built or
 * mismatched push taking a replica down.
 */
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../common/snapshot.js';

const MAX_ERRORS = 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** Returns the problems found (empty = valid). */
export function snapshotProblems(input: unknown): string[] {
  const problems: string[] = [];
  const add = (msg: string) => {
    if (problems.length < MAX_ERRORS) problems.push(msg);
  };
  if (!isObject(input)) return ['snapshot is not a JSON object'];
  if (input.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    return [
      `schemaVersion ${JSON.stringify(input.schemaVersion)} is not supported (expected ${SNAPSHOT_SCHEMA_VERSION})`,
    ];
  }
  if (typeof input.version !== 'string' || input.version.length === 0) add('version must be a non-empty string');
  const maps = ['nodes', 'keys', 'providers', 'routes', 'pricing', 'cachePolicies', 'guardrails'] as const;
  for (const m of maps) if (!isObject(input[m])) add(`${m} must be an object`);
  checkGateway(input.gateway, add);
  if (problems.length > 0) return problems;

  const s = input as unknown as Snapshot;
  for (const [hash, key] of Object.entries(s.keys)) checkKey(s, hash, key, add);
  for (const [id, node] of Object.entries(s.nodes)) {
    if (!isObject(node) || node.id !== id) add(`nodes.${id}: id must equal its map key`);
    else if (node.parent !== null && !s.nodes[node.parent]) add(`nodes.${id}: parent ${node.parent} does not exist`);
  }
  for (const [id, p] of Object.entries(s.providers)) {
    if (!isObject(p) || p.id !== id) add(`providers.${id}: id must equal its map key`);
    else if (typeof p.baseUrl !== 'string' || !isObject(p.timeouts)) add(`providers.${id}: baseUrl/timeouts missing`);
  }
  for (const [name, r] of Object.entries(s.routes)) checkRoute(s, name, r, add);
  for (const [id, entries] of Object.entries(s.pricing)) {
    if (!Array.isArray(entries) || entries.length === 0) add(`pricing.${id}: must be a non-empty array`);
    else if (entries.some((e) => !isInt(e?.effectiveFrom) || !isInt(e?.inputPico) || !isInt(e?.outputPico))) {
      add(`pricing.${id}: prices must be integer pico-dollars with an integer effectiveFrom`);
    }
  }
  return problems;
}

function checkGateway(g: unknown, add: (m: string) => void): void {
  if (!isObject(g)) {
    add('gateway must be an object');
    return;
  }
  if (!isInt(g.maxBodyBytes) || (g.maxBodyBytes as number) <= 0) add('gateway.maxBodyBytes must be a positive integer');
  if (!Array.isArray(g.adminKeyHashes) || g.adminKeyHashes.some((h) => typeof h !== 'string')) {
    add('gateway.adminKeyHashes must be an array of strings');
  }
  if (!isObject(g.queue)) add('gateway.queue must be an object');
  if (!isInt(g.defaultMaxOutputTokens)) add('gateway.defaultMaxOutputTokens must be an integer');
}

function checkKey(s: Snapshot, hash: string, key: Snapshot['keys'][string], add: (m: string) => void): void {
  const at = `keys.${hash.slice(0, 12)}…`;
  if (!isObject(key)) {
    add(`${at}: not an object`);
    return;
  }
  if (key.hash !== hash) add(`${at} (${key.name}): hash must equal its map key`);
  if (!/^[0-9a-f]{64}$/.test(hash)) add(`${at} (${key.name}): map key must be a lowercase hex SHA-256`);
  if (!Array.isArray(key.chain)) {
    add(`${at} (${key.name}): chain must be an array`);
    return;
  }
  for (const id of key.chain) if (!s.nodes[id]) add(`${at} (${key.name}): chain node ${id} does not exist`);
  if (!Array.isArray(key.allowedRoutes)) add(`${at} (${key.name}): allowedRoutes must be an array`);
  if (!['active', 'disabled', 'revoked'].includes(key.status)) add(`${at} (${key.name}): bad status`);
  if (key.cachePolicy !== null && !s.cachePolicies[key.cachePolicy]) {
    add(`${at} (${key.name}): cache policy ${key.cachePolicy} does not exist`);
  }
  if (!Array.isArray(key.guardrails)) add(`${at} (${key.name}): guardrails must be an array`);
  else for (const g of key.guardrails) if (!s.guardrails[g]) add(`${at} (${key.name}): guardrail ${g} does not exist`);
}

function checkRoute(s: Snapshot, name: string, r: Snapshot['routes'][string], add: (m: string) => void): void {
  if (!isObject(r) || r.name !== name) {
    add(`routes.${name}: name must equal its map key`);
    return;
  }
  if (r.kind !== 'chat' && r.kind !== 'embeddings') add(`routes.${name}: kind must be chat or embeddings`);
  if (!Array.isArray(r.targets) || r.targets.length === 0) {
    add(`routes.${name}: needs at least one target`);
    return;
  }
  for (const t of r.targets) {
    if (!s.providers[t.provider]) add(`routes.${name}: target provider ${t.provider} does not exist`);
    if (typeof t.model !== 'string') add(`routes.${name}: target model must be a string`);
  }
  if (!Array.isArray(r.fallback)) {
    add(`routes.${name}: fallback must be an array`);
    return;
  }
  for (const f of r.fallback) if (!s.routes[f]) add(`routes.${name}: fallback route ${f} does not exist`);
  if (r.contextWindowFallback !== null && !s.routes[r.contextWindowFallback]) {
    add(`routes.${name}: contextWindowFallback route ${r.contextWindowFallback} does not exist`);
  }
  if (!isObject(r.retry) || !isObject(r.timeouts) || !isObject(r.circuitBreaker)) {
    add(`routes.${name}: retry, timeouts and circuitBreaker are required`);
  }
}
