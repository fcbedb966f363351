/**
 * Contract of the compile-time governance library: a rule reads the whole (indexed) config and
 * returns findings pointing at document fields. The engine turns findings into diagnostics with
 * the severity a config repo chose for the rule.
 */
import type { ConfigIndex } from '../../control-plane/config/index.js';
import type { Loaded } from '../../control-plane/config/model.js';
import type { Resolver } from '../../control-plane/config/resolve.js';

export type JsonSchema = { [key: string]: unknown };

export interface GovernanceInput {
  index: ConfigIndex;
  resolver: Resolver;
  /** Epoch ms of the compile. */
  now: number;
}

export interface Finding {
  target: Loaded;
  path: (string | number)[];
  message: string;
}

export interface GovernanceRule<P extends object = Record<string, unknown>> {
  /** Id a Policy document enables, e.g. "team-requires-budget". */
  id: string;
  /** One line shown in docs and in `sluice validate --rules`. */
  description: string;
  defaultSeverity: 'error' | 'warning';
  /** JSON Schema of `params` (validated before the rule runs). */
  paramsSchema: JsonSchema;
  /** Values used for params the config leaves out. */
  defaults: P;
  check(input: GovernanceInput, params: P): Finding[];
}

/** Erases the params type so rules of different shapes live in one registry. */
export function defineRule<P extends object>(rule: GovernanceRule<P>): GovernanceRule<Record<string, unknown>> {
  return rule as unknown as GovernanceRule<Record<string, unknown>>;
}
