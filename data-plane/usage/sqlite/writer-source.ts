/**
 * The source of the SQLite writer thread (see writer.ts). Plain CommonJS run with
 * `new Worker(source, { eval: true })` rather than a .ts entry file: a worker thread does not
 * inherit the TypeScript loader of every runtime the data plane runs under (tsx, vitest), and
 * this needs nothing but better-sqlite3, whose resolved path is passed in.
 *
 * Protocol: in `{ id, events, seq }` → out `{ id, ok: true }` once the batch (and its `seq`
 * marker in usage_batches, same transaction) is committed, or `{ id, ok: false, message }`.
 * `{ close: true }` closes the database and lets the thread end.
 */
export const WRITER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const cols = workerData.columns;
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const insert = db.prepare(
  'INSERT OR IGNORE INTO usage_events (' + cols.join(', ') + ') VALUES (' + cols.map(() => '?').join(', ') + ')',
);
const mark = db.prepare('INSERT OR IGNORE INTO usage_batches (seq, committed_ms) VALUES (?, ?)');
const prune = db.prepare('DELETE FROM usage_batches WHERE committed_ms < ?');
const row = new Array(cols.length);
const write = db.transaction((events, seq) => {
  for (const e of events) {
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i];
      row[i] = c === 'tags' ? JSON.stringify(e.tags || {}) : e[c];
    }
    insert.run(row);
  }
  if (seq) mark.run(seq, Date.now());
});
let lastPrune = 0;
parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    write(msg.events, msg.seq || null);
    parentPort.postMessage({ id: msg.id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, message: String((err && err.message) || err) });
  }
  const now = Date.now();
  if (now - lastPrune > workerData.pruneEveryMs) {
    lastPrune = now;
    try {
      prune.run(now - workerData.keepMarkersMs);
    } catch {}
  }
});
`;
