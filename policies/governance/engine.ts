/**
 * Runs the governance rules a config enables (Policy documents with `rules`) and reports each
 * finding with the severity the config chose. Unknown rules and bad params are config errors.
 */
import type { Loaded, PolicyDoc } from '../../control-plane/config/model.js';
import { diagAt } from '../../control-plane/diagnostics/at.js';
import type { Diagnostic } from '../../control-plane/diagnostics/diagnostic.js';
import { createAjv, type ValidateFunction } from '../../control-plane/load/ajv.js';
import { closest } from '../../control-plane/load/schema-validator.js';
import { BUILT_IN_RULES } from './library.js';
import type { GovernanceInput, GovernanceRule } from './types.js';

const ajv = createAjv({ allErrors: true, strict: false });
const paramValidators = new Map<string, ValidateFunction>();

function paramsValidator(rule: GovernanceRule): ValidateFunction {
  let fn = paramValidators.get(rule.id);
  if (!fn) {
    fn = ajv.compile(rule.paramsSchema);
    paramValidators.set(rule.id, fn);
  }
  return fn;
}

export function runGovernance(
  input: GovernanceInput,
  rules: ReadonlyMap<string, GovernanceRule> = BUILT_IN_RULES,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const policies: Loaded<PolicyDoc>[] = input.index.config.policies;
  for (const policy of policies) {
    (policy.doc.rules ?? []).forEach((entry, i) => {
      const rule = rules.get(entry.rule);
      if (!rule) {
        const hint = closest(entry.rule, [...rules.keys()]);
        out.push(
          diagAt(
            policy,
            ['rules', i, 'rule'],
            'error',
            'governance/unknown-rule',
            `unknown governance rule "${entry.rule}"${hint ? ` (did you mean "${hint}"?)` : ''}; built-in rules: ${[...rules.keys()].join(', ')}`,
          ),
        );
        return;
      }
      const params = entry.params ?? {};
      const validate = paramsValidator(rule);
      if (!validate(params)) {
        const e = validate.errors?.[0];
        const where = e?.instancePath ? e.instancePath.slice(1).split('/') : [];
        const detail =
          e?.keyword === 'additionalProperties'
            ? `unknown param "${String(e.params.additionalProperty)}"`
            : `${where.join('.') || 'params'} ${e?.message ?? 'invalid'}`;
        out.push(
          diagAt(
            policy,
            ['rules', i, 'params', ...where],
            'error',
            'governance/invalid-params',
            `rule "${rule.id}": ${detail}`,
          ),
        );
        return;
      }
      const severity = entry.severity ?? rule.defaultSeverity;
      if (severity === 'off') return;
      const merged = { ...rule.defaults, ...params };
      for (const finding of rule.check(input, merged)) {
        out.push(
          diagAt(
            finding.target,
            finding.path,
            severity,
            `governance/${rule.id}`,
            `${finding.message} [policy "${policy.doc.name}"]`,
          ),
        );
      }
    });
  }
  return out;
}
