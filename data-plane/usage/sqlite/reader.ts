/**
 * Runs usage analytics queries (usage API, dashboard, CLI) on a worker thread with its own
 * read-only connection: a report over a large table can take a long time, and on the main thread
 * better-sqlite3 would stall every request in flight for that long.
 */
import { READER_SOURCE } from './reader-source.js';
import { DbThread } from './thread.js';

export class SqliteReader {
  private readonly thread: DbThread;

  constructor(path: string) {
    // Started on the first query: most data planes are never asked for a report.
    this.thread = new DbThread('usage database reader', READER_SOURCE, { path }, false);
  }

  async all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const reply = await this.thread.request<{ rows: T[] }>({ sql, params });
    return reply.rows;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
