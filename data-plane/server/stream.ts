/**
 * Renders a streamed Outcome as SSE with back-pressure.
 *
 * - Headers go out with the first frames as soon as the pump has to wait for a chunk (time to
 *   first byte), so a stream that fails before producing anything still gets a proper error
 *   status (the caller renders it as JSON).
 * - Frames already available (e.g. every event of one upstream TCP read, pulled through the sync
 *   path) are written together in one corked write: later ones at the end of the turn
 *   (setImmediate), or with the end of the stream — a stream that arrived in one read is one
 *   write. Each write to a socket is a syscall through the kernel's TCP stack, which costs more
 *   than encoding a frame. More than 64 KiB of pending frames are written at once.
 * - The iterator is pulled only while the socket takes data: when uWS has to buffer a write we
 *   wait for onWritable before pulling again, so a slow reader slows the upstream read instead of
 *   growing gateway memory (bounded by the 64 KiB batch plus what uWS holds).
 * - If the client leaves, the iterator's return() runs so every stage's `finally` executes and
 *   the upstream request is aborted (ctx.signal is aborted too).
 * - A GatewayError thrown mid-stream ends the stream with an error frame and no clean terminator.
 */
import type { Logger } from 'pino';
import type { ChatChunk } from '../../common/openai-types.js';
import type { GatewayError } from '../errors.js';
import type { Ingress, StreamEncoder } from '../ingress/types.js';
import { syncPullOf } from '../pipeline/stream-chunks.js';
import { toGatewayError } from './errors.js';
import type { Exchange } from './exchange.js';

export type StreamEnd =
  | { kind: 'complete' }
  | { kind: 'aborted' }
  /** Failed before any byte was produced: the caller renders a normal error response. */
  | { kind: 'failed-before-start'; error: GatewayError }
  | { kind: 'failed-mid-stream'; error: GatewayError };

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

const BATCH_BYTES = 64 * 1024;

/**
 * Collects frames and writes them in few socket writes: the first frame goes out at once with the
 * headers (time to first byte is what a streaming client feels, and a stream stays a chunked SSE
 * response even when the upstream sent it in one read), later ones together at the end of the
 * event-loop turn or when the pump has to wait, and the rest with the end.
 */
class FrameWriter {
  /** True once any frame was produced (written or pending). */
  started = false;
  /** The headers (and the first frames) were written. */
  private sent = false;
  private pending = '';
  private scheduled = false;

  constructor(
    private readonly ex: Exchange,
    /** Stage headers (x-sluice-*, x-ratelimit-*); they win over SSE_HEADERS of the same name. */
    private readonly headers: Record<string, string>,
  ) {}

  push(frames: string): void {
    if (frames.length === 0) return;
    this.started = true;
    this.pending = this.pending.length === 0 ? frames : this.pending + frames;
    if (!this.sent || this.pending.length >= BATCH_BYTES) this.flush();
  }

  /** The pump is about to wait (next chunk, drain): what is pending must not wait with it. */
  beforeWait(): void {
    if (this.pending.length === 0 || this.scheduled) return;
    // Batched with whatever else this event-loop turn produces.
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** Writes what is pending (no-op when nothing is, or the client left). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const data = this.pending;
    this.pending = '';
    this.sent = true;
    this.ex.writeStream(SSE_HEADERS, this.headers, data, false);
  };

  /** Writes what is pending plus `last` and ends the response. */
  end(last: string): void {
    const data = this.pending + last;
    this.pending = '';
    this.sent = true;
    this.ex.writeStream(SSE_HEADERS, this.headers, data, true);
  }
}

export async function pumpStream(
  ex: Exchange,
  chunks: AsyncIterable<ChatChunk>,
  encoder: StreamEncoder,
  ingress: Ingress,
  headers: Record<string, string>,
  logger: Logger,
): Promise<StreamEnd> {
  const it = chunks[Symbol.asyncIterator]();
  // The chunks the pipeline already holds (e.g. the rest of one upstream read) are pulled without
  // a promise per chunk per stage; next() only when something must be waited for.
  const pullSync = syncPullOf(it);
  const out = new FrameWriter(ex, headers);
  let pulled = false;
  try {
    for (;;) {
      if (ex.aborted) return await closeEarly(it, !pulled);
      pulled = true;
      let r = pullSync === null ? undefined : pullSync();
      if (r === undefined) {
        out.beforeWait();
        r = await it.next();
      }
      if (r.done) break;
      if (ex.aborted) return await closeEarly(it);
      out.push(encoder.chunk(r.value));
      // A batch written since the last pull was (partly) buffered by uWS: wait for the socket.
      if (ex.backpressured) {
        out.beforeWait();
        await ex.drained();
      }
    }
  } catch (err) {
    const error = toGatewayError(err, logger, ex.requestId);
    if (ex.aborted) return { kind: 'aborted' };
    if (!out.started) return { kind: 'failed-before-start', error };
    out.end(ingress.errorFrame(error));
    return { kind: 'failed-mid-stream', error };
  }
  if (ex.aborted) return { kind: 'aborted' };
  out.end(encoder.end());
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
