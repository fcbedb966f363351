import type { Loaded } from '../config/model.js';
import { diagAt } from '../diagnostics/at.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';

const SECRET_REF = /^(?:env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S+)$/;
const CREDENTIAL_HEADER = /authorization|api[-_]?key|token|secret|password|cookie/i;
/** Shapes of well-known credentials; a match anywhere in config is a leaked secret. */
const SECRET_SHAPES: RegExp[] = [
  /\bsk-(?:proj-|ant-|sluice-)?[A-Za-z0-9_-]{16,}/,
  /\bAIza[0-9A-Za-z_-]{30,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

type Report = (path: (string | number)[], message: string) => void;

/**
 * Secrets never live in config: credential headers must be references, and no string anywhere
 * (tags, metadata, descriptions, …) may look like a known credential. Values are never echoed.
 * Document-local, so it runs once per parsed file (cached with the file) rather than per compile.
 */
export function checkDocumentSecrets(loaded: Loaded): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Report = (path, message) => out.push(diagAt(loaded, path, 'error', 'secret/plaintext', message));
  const doc = loaded.doc;
  if (doc.kind === 'Provider') {
    for (const [name, value] of Object.entries(doc.headers ?? {})) {
      if (CREDENTIAL_HEADER.test(name) && !SECRET_REF.test(value)) {
        report(
          ['headers', name],
          `header "${name}" carries a credential: use a reference "env:NAME" or "file:/path" (the value is not shown)`,
        );
      }
    }
  }
  scan(report, doc, []);
  return out;
}

/** Depth-first scan; `path` is one mutable stack so clean values allocate nothing. */
function scan(report: Report, value: unknown, path: (string | number)[]): void {
  if (typeof value === 'string') {
    if (value.length >= 20 && !SECRET_REF.test(value) && SECRET_SHAPES.some((re) => re.test(value))) {
      report(
        [...path],
        'looks like a plaintext secret: config may hold only hashes and env:/file: references (the value is not shown)',
      );
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      scan(report, value[i], path);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) {
      if (path.length === 0 && k === 'hash') continue; // validated by the schema
      path.push(k);
      scan(report, (value as Record<string, unknown>)[k], path);
      path.pop();
    }
  }
}
