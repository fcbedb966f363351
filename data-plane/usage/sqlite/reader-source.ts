/**
 * The source of the SQLite reader thread (see reader.ts), plain CommonJS for the same reason as
 * writer-source.ts. In `{ id, sql, params }` → out `{ id, ok: true, rows }` (safe integers: sums
 * past 2^53 come back exact as BigInt, which structured cloning keeps) or `{ id, ok: false,
 * message }`; `{ close: true }` closes the database and lets the thread end.
 */
export const READER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();
parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let stmt = statements.get(msg.sql);
    if (!stmt) {
      stmt = db.prepare(msg.sql).safeIntegers(true);
      if (statements.size >= 200) statements.clear();
      statements.set(msg.sql, stmt);
    }
    parentPort.postMessage({ id: msg.id, ok: true, rows: stmt.all(...msg.params) });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, message: String((err && err.message) || err) });
  }
});
`;
