/** Renders diagnostics as human text, JSON, or GitHub Actions workflow annotations. */
import { join } from 'node:path';
import type { Diagnostic } from './diagnostic.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';
export const DIAGNOSTIC_FORMATS: readonly DiagnosticFormat[] = ['text', 'json', 'github'];

/** Path as the user should see it: the config dir they passed joined with the file. */
function shown(d: Diagnostic, dir: string): string | null {
  return d.file === null ? null : join(dir, d.file).split('\\').join('/');
}

function counts(list: readonly Diagnostic[]): { errors: number; warnings: number } {
  const errors = list.filter((d) => d.severity === 'error').length;
  return { errors, warnings: list.length - errors };
}

export function formatText(list: readonly Diagnostic[], dir: string): string {
  const lines = list.map((d) => {
    const where = shown(d, dir);
    const loc = where === null ? dir : `${where}:${d.line}:${d.column}`;
    const field = d.path ? `${d.path}: ` : '';
    return `${loc}: ${d.severity}: ${field}${d.message} [${d.rule}]`;
  });
  const { errors, warnings } = counts(list);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  lines.push(
    errors === 0
      ? `✔ config is valid (${plural(warnings, 'warning')})`
      : `✖ ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
  return lines.join('\n');
}

export function formatJson(list: readonly Diagnostic[], dir: string): string {
  const { errors, warnings } = counts(list);
  return JSON.stringify(
    { ok: errors === 0, errors, warnings, diagnostics: list.map((d) => ({ ...d, file: shown(d, dir) })) },
    null,
    2,
  );
}

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One `::error file=…,line=…,col=…,title=…::message` line per diagnostic. */
export function formatGithub(list: readonly Diagnostic[], dir: string): string {
  return list
    .map((d) => {
      const where = shown(d, dir);
      const props = [
        ...(where === null ? [] : [`file=${escapeProperty(where)}`, `line=${d.line}`, `col=${d.column}`]),
        `title=${escapeProperty(`sluice ${d.rule}`)}`,
      ];
      const field = d.path ? `${d.path}: ` : '';
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(field + d.message)}`;
    })
    .join('\n');
}

export function formatDiagnostics(list: readonly Diagnostic[], dir: string, format: DiagnosticFormat): string {
  if (format === 'json') return formatJson(list, dir);
  if (format === 'github') return formatGithub(list, dir);
  return formatText(list, dir);
}
