import { readFileSync } from 'node:fs';
import { parseAllDocuments, LineCounter, Parser, Composer } from 'yaml';
import { parseConfigFile } from '../control-plane/load/parse-file.ts';
const text = readFileSync('/tmp/bench10k/teams/team-0007.yaml', 'utf8');
const time = (label: string, fn: () => void, n = 300) => {
  fn();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const c = process.cpuUsage(c0);
  console.log(label, ((performance.now() - t0) / n).toFixed(2), 'ms wall/file', ((c.user + c.system) / 1000 / n).toFixed(2), 'ms cpu/file');
};
time('parseAllDocuments', () => parseAllDocuments(text, { lineCounter: new LineCounter(), uniqueKeys: true }));
time('parseAllDocuments+toJS', () => { for (const d of parseAllDocuments(text) as any[]) d.toJS(); });
time('parser only (CST)', () => { for (const _ of new Parser().parse(text)); });
time('parseConfigFile', () => parseConfigFile('x.yaml', text));
time('JSON.parse equiv', () => JSON.parse(JSON.stringify(parseAllDocuments(text).map((d: any) => d.toJS()))), 300);
const jsyaml = (await import('js-yaml')).default;
time('js-yaml loadAll CORE', () => jsyaml.loadAll(text, undefined, { schema: jsyaml.CORE_SCHEMA }));
for (const t of ['# c\n---\na: 1\n---\n', 'a: 1\n---\n---\nb: 2\n', '---\na: 1\n', 'a: 1\n...\n---\nb: 1\n', '', '# only comment\n', 'a: 1\n---\n# comment only\n---\nb: 2']) {
  console.log(JSON.stringify(t), JSON.stringify(jsyaml.loadAll(t, undefined, { schema: jsyaml.CORE_SCHEMA })), JSON.stringify((parseAllDocuments(t) as any[]).map(d => d.contents === null ? null : d.toJS())));
}
