/**
 * Validates one document against its kind's JSON Schema (ajv, compiled once per process) and
 * turns ajv errors into readable messages with the field path and rule.
 */

import { CONFIG_SCHEMA_ID, configSchema, KIND_SCHEMAS } from '../../schemas/definitions/index.js';
import { createAjv, type ErrorObject, type ValidateFunction } from './ajv.js';

export interface SchemaIssue {
  rule: string;
  message: string;
  /** Where to point (existing node). */
  locatePath: (string | number)[];
  /** What to show as the field path. */
  displayPath: (string | number)[];
}

let validators: Map<string, ValidateFunction> | null = null;

function getValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = createAjv({
    allErrors: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    allowUnionTypes: true,
    verbose: true,
  });
  ajv.addSchema(configSchema);
  validators = new Map();
  for (const kind of Object.keys(KIND_SCHEMAS)) {
    const fn = ajv.getSchema(`${CONFIG_SCHEMA_ID}#/$defs/${kind}`);
    if (!fn) throw new Error(`schema for kind ${kind} missing`);
    validators.set(kind, fn);
  }
  return validators;
}

export function validateKind(kind: string, value: unknown): SchemaIssue[] {
  const validate = getValidators().get(kind);
  if (!validate) throw new Error(`no schema for kind ${kind}`);
  if (validate(value)) return [];
  return dedupe((validate.errors ?? []).map((e) => toIssue(e, value)).filter((i): i is SchemaIssue => i !== null));
}

function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.displayPath.join('.')}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function parsePointer(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Name of the $defs entry an error happened in, e.g. "Money" for "#/$defs/Money/pattern". */
function defName(schemaPath: string): string | null {
  const m = /#\/\$defs\/([A-Za-z]+)\/[a-z]+$/.exec(schemaPath);
  return m ? m[1] : null;
}

const PATTERN_MESSAGES: Record<string, string> = {
  Name: 'must be a name of lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  RouteName: 'must be a route name of letters, digits, ".", "_", "-", ":" or "/"',
  RoutePattern: 'must be a route name or a glob using "*"',
  Money: 'must be a USD amount as a decimal string with at most 6 decimals, e.g. "250.00"',
  PricePerMillion: 'must be a USD-per-1M-tokens price as a decimal string with at most 6 decimals, e.g. "2.50"',
  Duration: 'must be a duration like "500ms", "30s", "5m", "1h" or "1d"',
  Timestamp: 'must be a date "YYYY-MM-DD" or an RFC 3339 date-time with offset, e.g. "2025-07-01T00:00:00Z"',
  KeyHash: 'must be "sha256:" followed by 64 lowercase hex digits (create keys with `sluice keys create`)',
  CachePolicyRef: 'must be a CachePolicy name or "none"',
};

function looksLikeSecret(value: unknown): boolean {
  return typeof value === 'string' && /^(sk-|sk_|xox|ghp_|AIza|AKIA)|^[A-Za-z0-9_-]{32,}$/.test(value);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function toIssue(e: ErrorObject, root: unknown): SchemaIssue | null {
  const path = parsePointer(e.instancePath);
  const def = defName(e.schemaPath);
  const at = (message: string, rule = `schema/${e.keyword}`): SchemaIssue => ({
    rule,
    message,
    locatePath: path,
    displayPath: path,
  });
  switch (e.keyword) {
    case 'if':
      return null; // the failing "then" branch reports the real problem
    case 'required': {
      const missing = String(e.params.missingProperty);
      return {
        rule: 'schema/required',
        message: `missing required field "${missing}"`,
        locatePath: path,
        displayPath: [...path, missing],
      };
    }
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      const hint = closest(extra, allowed);
      return {
        rule: 'schema/additionalProperties',
        message: `unknown field "${extra}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
        locatePath: [...path, extra],
        displayPath: [...path, extra],
      };
    }
    case 'enum':
      return at(`must be one of: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    case 'const':
      return at(`must be ${JSON.stringify(e.params.allowedValue)}`);
    case 'type': {
      if ((def === 'Money' || def === 'PricePerMillion') && typeof valueAt(root, path) === 'number') {
        return at(
          `money must be a quoted decimal string: write "${String(valueAt(root, path))}" with quotes (YAML numbers are floats)`,
          'schema/money-string',
        );
      }
      return at(`must be ${article(String(e.params.type))}`);
    }
    case 'pattern': {
      if (def === 'SecretRef') {
        return at(
          'plaintext secret not allowed here: use a reference "env:NAME" or "file:/path" (the value is not shown)',
          'secret/plaintext',
        );
      }
      if (def === 'KeyHash' && looksLikeSecret(valueAt(root, path))) {
        return at(
          'plaintext secret in a key: store only its hash "sha256:<hex>" (use `sluice keys create`)',
          'secret/plaintext',
        );
      }
      return at(def && PATTERN_MESSAGES[def] ? PATTERN_MESSAGES[def] : `must match ${String(e.params.pattern)}`);
    }
    case 'anyOf':
      if (path.length === 0) return at('a Policy needs "rules" (governance) or "guardrail" (runtime), or both');
      return at('does not match any allowed form');
    case 'not':
      return at('"none" is reserved (it switches caching off)');
    case 'minItems':
      return at(`must have at least ${String(e.params.limit)} item(s)`);
    case 'minProperties':
      return at(`must have at least ${String(e.params.limit)} entr${e.params.limit === 1 ? 'y' : 'ies'}`);
    case 'uniqueItems':
      return at(`must not contain duplicates (items ${String(e.params.j)} and ${String(e.params.i)} are equal)`);
    case 'minimum':
    case 'maximum':
      return at(`must be ${e.keyword === 'minimum' ? '>=' : '<='} ${String(e.params.limit)}`);
    case 'propertyNames':
      return at(`has an invalid key "${String(e.params.propertyName)}"`);
    default:
      return at(e.message ?? `violates ${e.keyword}`);
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The closest candidate within edit distance 2, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
