/**
 * Pipeline contract for streamed chunks, shared by the adapters, the stage wrappers and the server.
 *
 * 1. Sync pull: a chunk iterator may offer `nextSync()`, handing out the next result when it is
 *    available without waiting (a chunk already parsed from the last upstream read, the end, or a
 *    failure, which it throws as next() would reject) and returning undefined — with no side
 *    effect — when the caller must fall back to next(). Every wrapper between the upstream reader
 *    and the server that implements it by delegating lets a buffered chunk travel the whole chain
 *    without a promise per layer. A wrapper that does not implement it simply hides it.
 * 2. Raw JSON: an adapter that passes a chunk through unmodified records the upstream's own text
 *    for it, and the OpenAI ingress writes those bytes instead of re-stringifying the object. The
 *    text is keyed by the chunk object itself (a WeakMap), so a copy — `{ ...chunk, … }` — never
 *    carries it; code that modifies a chunk in place must call `clearRawJson(chunk)`.
 */
import type { ChatChunk } from '../../common/openai-types.js';

export interface SyncPullIterator<T> extends AsyncIterator<T> {
  nextSync?(): IteratorResult<T> | undefined;
}

/** The sync fast path of `it`, if it has one. */
export function syncPullOf<T>(it: AsyncIterator<T>): (() => IteratorResult<T> | undefined) | null {
  const f = (it as SyncPullIterator<T>).nextSync;
  return typeof f === 'function' ? f.bind(it) : null;
}

const rawJson = new WeakMap<ChatChunk, string>();

/** Records `json` (the exact text `chunk` was parsed from) as the chunk's wire form. */
export function setRawJson(chunk: ChatChunk, json: string): void {
  rawJson.set(chunk, json);
}

/** The chunk's upstream JSON text while it is still exactly that chunk, else undefined. */
export function rawJsonOf(chunk: ChatChunk): string | undefined {
  return rawJson.get(chunk);
}

/** For code that modifies a chunk in place: its recorded upstream text no longer matches it. */
export function clearRawJson(chunk: ChatChunk): void {
  rawJson.delete(chunk);
}
