/** Addresses of the real services started by test/setup/services.sh (npm test's pretest). */
export const TEST_REDIS_URL =
  process.env.SLUICE_TEST_REDIS_URL ?? `redis://127.0.0.1:${process.env.SLUICE_TEST_REDIS_PORT ?? 6390}`;
export const TEST_CLICKHOUSE_URL =
  process.env.SLUICE_TEST_CLICKHOUSE_URL ?? `http://127.0.0.1:${process.env.SLUICE_TEST_CLICKHOUSE_PORT ?? 8124}`;
/** Set only where a Qdrant server exists; Qdrant tests are skipped otherwise (none can be installed here). */
export const TEST_QDRANT_URL = process.env.QDRANT_URL ?? null;

/** A key prefix unique to one test file run, so parallel test files never share Redis keys. */
export function uniquePrefix(label: string): string {
  return `t:${label}:${process.pid}:${Date.now().toString(36)}:`;
}
