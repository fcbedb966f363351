import type { ConfigIndex } from '../config/index.js';
import type { Loaded } from '../config/model.js';
import type { Resolver } from '../config/resolve.js';
import { diagAt } from '../diagnostics/at.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';

/** What every cross-document check receives. */
export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly index: ConfigIndex,
    readonly resolver: Resolver,
    /** Epoch ms used for "effective today" and expiry checks. */
    readonly now: number,
  ) {}

  report(
    loaded: Loaded,
    path: readonly (string | number)[],
    rule: string,
    message: string,
    severity: Severity = 'error',
  ) {
    this.diagnostics.push(diagAt(loaded, path, severity, rule, message));
  }

  /** "teams/search.yaml:4" of a document, for "also defined at" style messages. */
  where(loaded: Loaded, path: readonly (string | number)[] = ['name']): string {
    return `${loaded.source.file}:${loaded.source.locate(path).line}`;
  }
}
