/**
 * Parses one YAML file (any number of documents) into validated config documents, with a
 * locator per document so every later diagnostic can name file, line and column.
 */
import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import { KINDS } from '../../schemas/definitions/index.js';
import type { ConfigDoc, DocSource, Loaded } from '../config/model.js';
import { type Diagnostic, formatPath } from '../diagnostics/diagnostic.js';
import { makeLocator } from './positions.js';
import { closest, validateKind } from './schema-validator.js';

export interface FileResult {
  docs: Loaded[];
  diagnostics: Diagnostic[];
}

export function parseConfigFile(file: string, text: string): FileResult {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const docs: Loaded[] = [];
  const diagnostics: Diagnostic[] = [];
  const yamlDocs = Array.isArray(parsed) ? parsed : [];
  const positions = new FilePositions(text, yamlDocs, lineCounter);
  yamlDocs.forEach((yamlDoc, index) => {
    if (yamlDoc.errors.length > 0) {
      for (const err of yamlDoc.errors) {
        const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
        diagnostics.push({
          severity: 'error',
          rule: 'yaml/syntax',
          message: firstLine(err.message),
          file,
          line: pos.line,
          column: pos.col,
          path: '',
        });
      }
      return;
    }
    if (yamlDoc.contents === null) return; // empty document, e.g. a trailing "---"
    const locate = positions.locator(index);
    const value: unknown = yamlDoc.toJS({ maxAliasCount: 1000 });
    const source = { file, index, locate };
    const at = (path: (string | number)[], rule: string, message: string, display = path): void => {
      const { line, column } = locate(path);
      diagnostics.push({ severity: 'error', rule, message, file, line, column, path: formatPath(display) });
    };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      at([], 'schema/type', 'a config document must be a mapping with apiVersion and kind');
      return;
    }
    const record = value as Record<string, unknown>;
    const apiVersion = record.apiVersion;
    // Documents of other tools (e.g. Kubernetes manifests next to the config) are not ours.
    if (typeof apiVersion === 'string' && !apiVersion.startsWith('sluice/')) return;
    if (apiVersion === undefined) {
      at([], 'schema/required', 'missing required field "apiVersion" (expected "sluice/v1")', ['apiVersion']);
      return;
    }
    if (apiVersion !== 'sluice/v1') {
      at(['apiVersion'], 'schema/api-version', `unsupported apiVersion ${JSON.stringify(apiVersion)} (expected "sluice/v1")`);
      return;
    }
    const kind = record.kind;
    if (typeof kind !== 'string' || !KINDS.includes(kind)) {
      if (kind === undefined) at([], 'schema/required', 'missing required field "kind"', ['kind']);
      else {
        const hint = typeof kind === 'string' ? closest(kind, KINDS) : null;
        at(
          ['kind'],
          'schema/unknown-kind',
          `unknown kind ${JSON.stringify(kind)}${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${KINDS.join(', ')}`,
        );
      }
      return;
    }
    const issues = validateKind(kind, value);
    for (const issue of issues) at(issue.locatePath, issue.rule, issue.message, issue.displayPath);
    if (issues.length === 0) docs.push({ doc: value as unknown as ConfigDoc, source });
  });
  positions.release();
  return { docs, diagnostics };
}

/**
 * Positions are needed only for diagnostics, which are rare; keeping every YAML syntax tree
 * alive for them would cost most of the heap on a 10k-key config. The tree parsed for the
 * values serves positions while the file is being parsed; afterwards `release()` drops it and
 * a later lookup re-parses the text once.
 */
class FilePositions {
  private docs: Document[] | null;
  private counter: LineCounter;

  constructor(
    private readonly text: string,
    docs: Document[],
    counter: LineCounter,
  ) {
    this.docs = docs;
    this.counter = counter;
  }

  locator(index: number): DocSource['locate'] {
    return (path) => {
      if (!this.docs) {
        this.counter = new LineCounter();
        const parsed = parseAllDocuments(this.text, { lineCounter: this.counter, uniqueKeys: true });
        this.docs = Array.isArray(parsed) ? parsed : [];
      }
      const doc = this.docs[index];
      return doc ? makeLocator(doc, this.counter)(path) : { line: 1, column: 1 };
    };
  }

  release(): void {
    this.docs = null;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
