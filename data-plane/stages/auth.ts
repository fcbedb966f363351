/**
 * Auth stage: resolves the virtual key from the presented secret's SHA-256 and the route from
 * body.model, and refuses what the key may not do. The server hashed the secret already
 * (ctx.presentedKeyHash); the map lookup is by hash, then the stored and presented hashes are
 * compared in constant time so no timing difference depends on how much of a hash matched.
 */
import { timingSafeEqual } from 'node:crypto';
import type { KeyRecord, RouteRecord, Snapshot } from '../../common/snapshot.js';
import { badRequest, forbidden, notFound, unauthorized } from '../errors.js';
import type { BuiltStage, StageDeps } from '../pipeline/deps.js';
import type { Endpoint } from '../pipeline/types.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function sameHash(a: string, b: string): boolean {
  if (!HEX_SHA256.test(a) || !HEX_SHA256.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

// The comparison's result for a key record and the map key it was found under never changes
// (snapshot records are immutable), so it is made once per record, not per request (≈ 2 µs).
const checked = new WeakMap<KeyRecord, { hash: string; same: boolean }>();

function recordMatches(key: KeyRecord, presentedHash: string): boolean {
  const known = checked.get(key);
  if (known !== undefined && known.hash === presentedHash) return known.same;
  const same = sameHash(key.hash, presentedHash);
  checked.set(key, { hash: presentedHash, same });
  return same;
}

/** The active key for `presentedHash`, or a 401 naming why not. Also used by the server for client routes. */
export function authenticateKey(snapshot: Snapshot, presentedHash: string | null, now = Date.now()): KeyRecord {
  if (!presentedHash) {
    throw unauthorized(
      'Missing API key: send it as "Authorization: Bearer <key>" or in the "x-api-key" header',
      'missing_api_key',
    );
  }
  const key = Object.hasOwn(snapshot.keys, presentedHash) ? snapshot.keys[presentedHash] : undefined;
  if (!key || !recordMatches(key, presentedHash)) throw unauthorized('Invalid API key', 'invalid_api_key');
  if (key.status === 'disabled') throw unauthorized('This API key is disabled', 'key_disabled');
  if (key.status === 'revoked') throw unauthorized('This API key has been revoked', 'key_revoked');
  if (key.expiresAt !== null && key.expiresAt <= now) throw unauthorized('This API key has expired', 'key_expired');
  return key;
}

export function keyMayUse(key: KeyRecord, routeName: string): boolean {
  const allowed = key.allowedRoutes;
  return allowed.includes('*') || allowed.includes(routeName);
}

/** The route `model` names, checked against the key and the endpoint's kind. */
export function resolveRoute(snapshot: Snapshot, key: KeyRecord, model: string, endpoint: Endpoint): RouteRecord {
  const route = Object.hasOwn(snapshot.routes, model) ? snapshot.routes[model] : undefined;
  if (!route) throw notFound(`The model '${model}' does not exist`);
  if (!keyMayUse(key, route.name)) {
    throw forbidden(`The API key '${key.name}' is not allowed to use the model '${model}'`);
  }
  const wanted = endpoint === 'embeddings' ? 'embeddings' : 'chat';
  if (route.kind !== wanted) {
    const path = route.kind === 'embeddings' ? '/v1/embeddings' : '/v1/chat/completions';
    throw badRequest(`The model '${model}' is an ${route.kind} model; call ${path}`, 'model', 'wrong_model_kind');
  }
  return route;
}

export function createAuthStage(_deps: StageDeps): BuiltStage {
  return {
    name: 'auth',
    // async so a refusal is a rejected promise, never a synchronous throw into outer stages.
    run: async (ctx, next) => {
      const key = authenticateKey(ctx.snapshot, ctx.presentedKeyHash);
      ctx.key = key;
      ctx.route = resolveRoute(ctx.snapshot, key, ctx.body.model, ctx.endpoint);
      return next();
    },
  };
}
