/**
 * Parses one YAML file (any number of documents) into validated config documents, with a
 * locator per document so every later diagnostic can name file, line and column.
 *
 * Two parsers on purpose: js-yaml turns text into values ~7× faster than `yaml`, which matters
 * for a 10k-key config; `yaml` (with its LineCounter) is used only when positions are needed —
 * for syntax errors and, lazily, for the rare diagnostic — because it keeps source ranges.
 */
import jsyaml from 'js-yaml';
import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import { KINDS } from '../../schemas/definitions/index.js';
import { checkDocumentSecrets } from '../check/secrets.js';
import type { ConfigDoc, DocSource, Loaded } from '../config/model.js';
import { type Diagnostic, formatPath } from '../diagnostics/diagnostic.js';
import { makeLocator } from './positions.js';
import { closest, validateKind } from './schema-validator.js';

export interface FileResult {
  docs: Loaded[];
  diagnostics: Diagnostic[];
}

export function parseConfigFile(file: string, text: string): FileResult {
  let values: unknown[];
  try {
    values = jsyaml.loadAll(text, undefined, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return parseWithPositions(file, text);
  }
  const positions = new FilePositions(text);
  const result: FileResult = { docs: [], diagnostics: [] };
  values.forEach((value, index) => {
    if (value !== null && value !== undefined) addDocument(result, file, index, value, positions.locator(index));
  });
  return result;
}

/** Slow path for files js-yaml rejects: `yaml` reports each syntax error with its position. */
function parseWithPositions(file: string, text: string): FileResult {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const yamlDocs = Array.isArray(parsed) ? parsed : [];
  const result: FileResult = { docs: [], diagnostics: [] };
  yamlDocs.forEach((yamlDoc, index) => {
    if (yamlDoc.errors.length > 0) {
      for (const err of yamlDoc.errors) {
        const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
        result.diagnostics.push({
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
    const locate = makeLocator(yamlDoc, lineCounter);
    addDocument(result, file, index, yamlDoc.toJS({ maxAliasCount: 1000 }), locate);
  });
  return result;
}

function addDocument(
  result: FileResult,
  file: string,
  index: number,
  value: unknown,
  locate: DocSource['locate'],
): void {
  const source: DocSource = { file, index, locate };
  const at = (path: (string | number)[], rule: string, message: string, display = path): void => {
    const { line, column } = locate(path);
    result.diagnostics.push({ severity: 'error', rule, message, file, line, column, path: formatPath(display) });
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
    at(
      ['apiVersion'],
      'schema/api-version',
      `unsupported apiVersion ${JSON.stringify(apiVersion)} (expected "sluice/v1")`,
    );
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
  if (issues.length > 0) return;
  const loaded: Loaded = { doc: value as unknown as ConfigDoc, source };
  result.diagnostics.push(...checkDocumentSecrets(loaded));
  result.docs.push(loaded);
}

/**
 * Source positions of one file, parsed with `yaml` on the first lookup only. Keeping syntax
 * trees of every document alive would cost most of the heap on a 10k-key config.
 */
class FilePositions {
  private docs: Document[] | null = null;
  private counter = new LineCounter();

  constructor(private readonly text: string) {}

  locator(index: number): DocSource['locate'] {
    return (path) => {
      if (!this.docs) {
        const parsed = parseAllDocuments(this.text, { lineCounter: this.counter, uniqueKeys: false });
        this.docs = Array.isArray(parsed) ? parsed : [];
      }
      const doc = this.docs[index];
      return doc ? makeLocator(doc, this.counter)(path) : { line: 1, column: 1 };
    };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
