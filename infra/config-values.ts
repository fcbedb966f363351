/**
 * Typed readers for structured stack config (`pulumi config set --path dataPlane.replicas 3`).
 * Each error names the full config key, so a typo in Pulumi.<stack>.yaml is found at once.
 */
export class StackConfigError extends Error {
  override name = 'StackConfigError';
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads an optional object; rejects keys the program does not know (a typo would otherwise be ignored). */
export function obj(v: unknown, path: string, known: readonly string[]): Obj {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new StackConfigError(`${path} must be an object`);
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new StackConfigError(`${path} has unknown key(s) ${unknown.join(', ')}; known keys: ${known.join(', ')}`);
  }
  return v;
}

export function str(v: unknown, path: string, fallback: string, pattern?: RegExp): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || v.length === 0) throw new StackConfigError(`${path} must be a non-empty string`);
  if (pattern && !pattern.test(v)) throw new StackConfigError(`${path} '${v}' does not match ${pattern}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, path: string, fallback: T, allowed: readonly T[]): T {
  const s = str(v, path, fallback);
  if (!(allowed as readonly string[]).includes(s)) {
    throw new StackConfigError(`${path} must be one of ${allowed.join(', ')} (got '${s}')`);
  }
  return s as T;
}

export function int(v: unknown, path: string, fallback: number, min: number, max: number): number {
  if (v === undefined || v === null) return fallback;
  // Pulumi stores `config set` values as strings unless --path/--type is used; accept both.
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new StackConfigError(`${path} must be an integer`);
  if (n < min || n > max) throw new StackConfigError(`${path} must be between ${min} and ${max} (got ${n})`);
  return n;
}

export function bool(v: unknown, path: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new StackConfigError(`${path} must be true or false`);
}

/** Kubernetes resource quantity: "500m", "2", "1.5", "512Mi", "20Gi". */
const QUANTITY = /^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export function quantity(v: unknown, path: string, fallback: string): string {
  return str(v, path, fallback, QUANTITY);
}

/** DNS-1123 label: namespace and object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An image reference with an explicit tag or digest ("latest" by omission makes rollouts unrepeatable). */
export const IMAGE_REF = /^[a-z0-9][a-z0-9._\-/:]*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;
