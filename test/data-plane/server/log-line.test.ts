/** The request log line's fast path and the asynchronous, bounded log destination. */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogDestination } from '../../../data-plane/observability/log-destination.js';
import { createLoggerTo, logInfoLine } from '../../../data-plane/observability/logger.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-log-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fileDestination(name: string, opts: { maxChars?: number; onDrop?: () => void } = {}) {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const dest = new LogDestination({ fd, ...opts });
  const flushed = () => new Promise<void>((resolve) => dest.flush(resolve));
  return { dest, path, fd, flushed, lines: () => readFileSync(path, 'utf8').split('\n').filter(Boolean) };
}

describe('request log line', () => {
  it('logInfoLine writes what logger.info would: same keys, order and escaping', async () => {
    const f = fileDestination('same.log');
    const logger = createLoggerTo({ logLevel: 'info', replicaId: 'dp-"1' }, f.dest);
    const fields = {
      reqId: 'req_1',
      endpoint: 'chat',
      status: 200,
      outcome: 'ok',
      latencyMs: 1.25,
      key: 'k"\n\u0001é',
      redactions: { email: 2 },
      stream: true,
      ttftMs: null,
      promptTokens: 12,
    };
    logger.info(fields, 'request');
    logInfoLine(logger, fields, 'request');
    await f.flushed();
    const [viaPino, fast] = f.lines().map((l) => l.replace(/"time":\d+/, '"time":0'));
    expect(fast).toBe(viaPino);
    expect(Object.keys(JSON.parse(fast as string))).toEqual([
      'level',
      'time',
      'replica',
      ...Object.keys(fields),
      'msg',
    ]);
    closeSync(f.fd);
  });

  it('falls back to logger.info for loggers it did not create', () => {
    const seen: string[] = [];
    const logger = pino({ base: null, timestamp: false }, { write: (s: string) => seen.push(s) });
    logInfoLine(logger, { reqId: 'r' }, 'request');
    expect(seen).toEqual(['{"level":30,"reqId":"r","msg":"request"}\n']);
  });
});

describe('LogDestination', () => {
  it('writes a small tail after a short delay, without a flush call', async () => {
    const f = fileDestination('tail.log');
    f.dest.write('{"a":1}\n');
    expect(f.lines()).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    expect(f.lines()).toEqual(['{"a":1}']);
    closeSync(f.fd);
  });

  it('keeps every line and their order across many batched writes', async () => {
    const f = fileDestination('many.log');
    for (let i = 0; i < 20_000; i++) f.dest.write(`{"i":${i},"pad":"${'x'.repeat(i % 50)}"}\n`);
    await f.flushed();
    const lines = f.lines();
    expect(lines).toHaveLength(20_000);
    expect(lines.every((l, i) => JSON.parse(l).i === i)).toBe(true);
    closeSync(f.fd);
  });

  it('drops and counts lines beyond its backlog bound instead of buffering them', async () => {
    let dropped = 0;
    const f = fileDestination('bounded.log', { maxChars: 10_000, onDrop: () => dropped++ });
    const line = `${'y'.repeat(999)}\n`; // 1 000 chars
    let accepted = 0;
    // One synchronous burst, below the write size: everything waits in the bounded backlog.
    for (let i = 0; i < 50; i++) if (f.dest.write(line)) accepted++;
    expect(dropped).toBeGreaterThan(0);
    expect(accepted + dropped).toBe(50);
    await f.flushed();
    expect(f.lines()).toHaveLength(accepted);
    closeSync(f.fd);
  });
});
