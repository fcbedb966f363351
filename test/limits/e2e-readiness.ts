/**
 * Real readiness of the parts the end-to-end limits tests need (other areas build them in
 * parallel): the server entry point, the fake providers, a non-placeholder router stage, and
 * for ledger-based restarts a non-placeholder accounting stage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const has = (p: string) => existsSync(`${root}${p}`);
const notPlaceholder = (p: string) => has(p) && !readFileSync(`${root}${p}`, 'utf8').includes('PLACEHOLDER');

export const serverReady =
  has('data-plane/main.ts') &&
  has('test/helpers/data-plane.ts') &&
  has('test/fakes/index.ts') &&
  notPlaceholder('data-plane/stages/upstream.ts');

export const accountingReady = serverReady && notPlaceholder('data-plane/stages/accounting.ts');

export const cliReady = serverReady && has('control-plane/cli/commands/data-plane.ts');
