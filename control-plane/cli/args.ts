/** Small helpers shared by the control-plane CLI commands. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs that reports unknown flags as UsageError (exit 2 with help) instead of throwing TypeError. */
export function parseFlags<O extends Options>(argv: string[], options: O, maxPositionals = 1) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
  }
  return parsed;
}

export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got '${value}')`);
  }
  return value as T;
}

/** Trims a trailing slash so `${url}/v1/status` is well-formed. */
export function baseUrl(url: string | undefined, flag: string): string {
  if (!url) throw new UsageError(`${flag} <http url> is required`);
  if (!/^https?:\/\//.test(url)) throw new UsageError(`${flag} must be an http(s) URL (got '${url}')`);
  return url.replace(/\/+$/, '');
}
