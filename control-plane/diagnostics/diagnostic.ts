/** One finding about the config: where it is, which rule it breaks, how bad it is. */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Rule id, e.g. "schema/required", "ref/unknown-team", "governance/team-requires-budget". */
  rule: string;
  message: string;
  /** Path relative to the config directory ("/" separators), or null for whole-config findings. */
  file: string | null;
  /** 1-based; 0 when file is null. */
  line: number;
  column: number;
  /** Field path inside the document, e.g. "budget.amount" or "targets[1].provider"; "" for the document. */
  path: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Formats a field path the way users write it: a.b[0].c */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Stable order: file, line, column, rule — so output and tests never depend on check order. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      a.line - b.line ||
      a.column - b.column ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}
