/** Validates a snapshot pushed through POST /v1/snapshot: shape (snapshot.schema.json) and content version. */
import type { Snapshot } from '../../common/snapshot.js';
import { snapshotSchema } from '../../schemas/definitions/snapshot.js';
import { versionOf } from '../compile/build-snapshot.js';
import { createAjv, type ValidateFunction } from '../load/ajv.js';

let validate: ValidateFunction | null = null;

export function checkPushedSnapshot(value: unknown): { ok: true; snapshot: Snapshot } | { ok: false; reason: string } {
  validate ??= createAjv({ allErrors: false, strict: false }).compile(snapshotSchema);
  if (!validate(value)) {
    const e = validate.errors?.[0];
    return { ok: false, reason: `not a valid snapshot: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim() };
  }
  const snapshot = value as Snapshot;
  const expected = versionOf(snapshot);
  if (expected !== snapshot.version) {
    return {
      ok: false,
      reason: `version ${snapshot.version} does not match the content (expected ${expected}); recompile it`,
    };
  }
  return { ok: true, snapshot };
}
