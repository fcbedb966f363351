import { connect } from 'node:net';

/** Fails fast, with the fix, when the services that npm test's pretest starts are not there. */
function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export default async function setup(): Promise<void> {
  const redisPort = Number(process.env.SLUICE_TEST_REDIS_PORT ?? 6390);
  const chPort = Number(process.env.SLUICE_TEST_CLICKHOUSE_PORT ?? 8124);
  const missing: string[] = [];
  if (!(await reachable(redisPort))) missing.push(`redis on 127.0.0.1:${redisPort}`);
  if (!(await reachable(chPort))) missing.push(`clickhouse on 127.0.0.1:${chPort}`);
  if (missing.length > 0) {
    throw new Error(
      `test services not running (${missing.join(', ')}): run 'bash test/setup/services.sh' or 'npm test'`,
    );
  }
}
