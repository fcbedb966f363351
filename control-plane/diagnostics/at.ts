import type { Loaded } from '../config/model.js';
import { type Diagnostic, formatPath, type Severity } from './diagnostic.js';

/** A diagnostic pointing at `path` inside a loaded document. */
export function diagAt(
  loaded: Loaded,
  path: readonly (string | number)[],
  severity: Severity,
  rule: string,
  message: string,
): Diagnostic {
  const { line, column } = loaded.source.locate(path);
  return { severity, rule, message, file: loaded.source.file, line, column, path: formatPath(path) };
}

/** Human name of a document for messages: `Team "search" (teams/search.yaml:3)`. */
export function describeDoc(loaded: Loaded): string {
  const { line } = loaded.source.locate([]);
  return `${loaded.doc.kind} "${loaded.doc.name}" (${loaded.source.file}:${line})`;
}
