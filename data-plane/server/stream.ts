/**
 * Renders a streamed Outcome as SSE with back-pressure.
 *
 * - Headers go out with the first frame, so a stream that fails before producing anything still
 *   gets a proper error status (the caller renders it as JSON).
 * - The iterator is pulled only while the socket takes data: when uWS has to buffer a write we
 *   wait for onWritable before pulling again, so a slow reader slows the upstream instead of
 *   growing gateway memory.
 * - If the client leaves, the iterator's return() runs so every stage's `finally` executes and
 *   the upstream request is aborted (ctx.signal is aborted too).
 * - A GatewayError thrown mid-stream ends the stream with an error frame and no clean terminator.
 */
import type { Logger } from 'pino';
import type { GatewayError } from '../errors.js';
import type { Ingress } from '../ingress/types.js';
import { toGatewayError } from './errors.js';
import type { Exchange } from './exchange.js';

export type StreamEnd =
  | { kind: 'complete' }
  | { kind: 'aborted' }
  /** Failed before any byte was sent: the caller renders a normal error response. */
  | { kind: 'failed-before-start'; error: GatewayError }
  | { kind: 'failed-mid-stream'; error: GatewayError };

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

export async function pumpStream(
  ex: Exchange,
  frames: AsyncIterable<string>,
  ingress: Ingress,
  headers: Record<string, string>,
  logger: Logger,
): Promise<StreamEnd> {
  const it = frames[Symbol.asyncIterator]();
  let started = false;
  let pulled = false;
  try {
    for (;;) {
      if (ex.aborted) return await closeEarly(it, !pulled);
      pulled = true;
      const r = await it.next();
      if (r.done) break;
      if (ex.aborted) return await closeEarly(it);
      const writable = started ? ex.write(r.value) : ex.startStream(200, { ...SSE_HEADERS, ...headers }, r.value);
      started = true;
      if (!writable) await ex.drained();
    }
  } catch (err) {
    const error = toGatewayError(err, logger, ex.requestId);
    if (ex.aborted) return { kind: 'aborted' };
    if (!started) return { kind: 'failed-before-start', error };
    ex.endStream(ingress.errorFrame(error));
    return { kind: 'failed-mid-stream', error };
  }
  if (ex.aborted) return { kind: 'aborted' };
  if (started) ex.endStream();
  else {
    ex.startStream(200, { ...SSE_HEADERS, ...headers }, '');
    ex.endStream();
  }
  return { kind: 'complete' };
}

/**
 * Stops the pipeline's generators after the client left. A generator that was never started
 * would skip its `finally` on return(), so it is first pulled once — with ctx.signal already
 * aborted, the upstream gives up at once — and then returned.
 */
export async function closeEarly(it: AsyncIterator<unknown>, neverStarted = false): Promise<StreamEnd> {
  try {
    if (neverStarted) await it.next();
  } catch {
    // Expected: the aborted upstream throws.
  }
  try {
    await it.return?.();
  } catch {
    // A stage failing during cleanup must not crash the server; its own finally logged it.
  }
  return { kind: 'aborted' };
}
