/** Runtime guardrail detectors, shared by the data plane (no imports from either half). */
export { applyToChat, applyToEmbeddings, formatCounts, type GuardrailResult } from './apply.js';
export {
  CompiledGuardrail,
  compiledGuardrail,
  type GuardKind,
  newTally,
  REDACTION_TOKEN,
  type Tally,
} from './compile.js';
export { DETECTORS, type Detector, type PiiKind } from './detectors.js';
export { replaceEmails } from './email.js';
export { luhnValid } from './luhn.js';
export { validCodiceFiscale, validDni, validNie, validNino, validSsn } from './national-ids.js';
export { compileTerms } from './terms.js';
