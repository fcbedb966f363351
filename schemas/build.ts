/**
 * Writes schemas/sluice.schema.json (the combined config schema editors point at) from the
 * TypeScript definitions. Run: node --import tsx schemas/build.ts [--check]
 * With --check it exits 1 when the committed file is out of date (used by the tests).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from './definitions/index.js';
import { snapshotSchema } from './definitions/snapshot.js';

const here = dirname(fileURLToPath(import.meta.url));
const outputs: [string, unknown][] = [
  ['sluice.schema.json', configSchema],
  ['snapshot.schema.json', snapshotSchema],
];

export function renderSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

async function main(check: boolean): Promise<number> {
  let stale = 0;
  for (const [file, schema] of outputs) {
    const path = join(here, file);
    const text = renderSchema(schema);
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current === text) continue;
    if (check) {
      console.error(`${path} is out of date: run node --import tsx schemas/build.ts`);
      stale++;
    } else {
      await writeFile(path, text);
      console.log(`wrote ${path}`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.includes('--check')).then((code) => {
    process.exitCode = code;
  });
}
