/**
 * Every folder under test/fixtures/broken-configs/ is a small config with one mistake; its
 * expect.json names the file, line, severity, rule and message the compiler must report.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileConfigDir } from '../../control-plane/compile/index.js';

const corpus = join(import.meta.dirname, '../fixtures/broken-configs');
const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Expectation {
  ok: boolean;
  expect: { file: string; line: number; severity: string; rule: string; message: string }[];
}

describe('broken-config corpus', () => {
  it('has at least 15 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(corpus, name);
    const spec = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Expectation;
    const result = await compileConfigDir(dir);
    expect(result.ok).toBe(spec.ok);
    expect(result.snapshot === null).toBe(!spec.ok);
    for (const e of spec.expect) {
      const match = result.diagnostics.find(
        (d) =>
          d.file === e.file &&
          d.line === e.line &&
          d.rule === e.rule &&
          d.severity === e.severity &&
          d.message.includes(e.message),
      );
      expect(
        match,
        `expected ${e.file}:${e.line} ${e.severity} [${e.rule}] "${e.message}" in\n${JSON.stringify(result.diagnostics, null, 2)}`,
      ).toBeDefined();
      expect(match?.column).toBeGreaterThan(0);
    }
    // The one mistake is the only error: the base around it is valid.
    const unexpectedErrors = result.diagnostics.filter(
      (d) => d.severity === 'error' && !spec.expect.some((e) => e.rule === d.rule && e.file === d.file),
    );
    expect(unexpectedErrors).toEqual([]);
  });
});
