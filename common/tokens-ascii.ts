/**
 * The ASCII fast path of common/tokens.ts: a pre-tokenizer equivalent to the encodings' regexes
 * on ASCII text, and a piece → token-count table that looks pieces up without slicing them.
 */
import type { EncodingName } from './tokens.js';

/**
 * Token counts of ASCII pieces, keyed by the piece's characters inside the text being counted:
 * an open-addressing table (FNV-1a hash, linear probing) that needs no substring and no string
 * hashing per lookup — the per-piece Map lookup was the largest single cost of counting.
 */
export class AsciiPieceTable {
  private static readonly SLOTS = 1 << 18;
  /** Cleared wholesale when half full (cheaper than eviction bookkeeping; pieces repeat). */
  private static readonly MAX_FILL = AsciiPieceTable.SLOTS >>> 1;
  private readonly hashes = new Int32Array(AsciiPieceTable.SLOTS);
  private readonly counts = new Int32Array(AsciiPieceTable.SLOTS);
  private readonly keys: (string | undefined)[] = new Array(AsciiPieceTable.SLOTS).fill(undefined);
  private size = 0;

  private static hash(t: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
    return h;
  }

  /** The count stored for t[start, end), or -1. */
  get(t: string, start: number, end: number): number {
    const h = AsciiPieceTable.hash(t, start, end);
    const mask = AsciiPieceTable.SLOTS - 1;
    const len = end - start;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const key = this.keys[slot];
      if (key === undefined) return -1;
      if (this.hashes[slot] === h && key.length === len && t.startsWith(key, start)) return this.counts[slot] as number;
    }
  }

  set(t: string, start: number, end: number, piece: string, count: number): void {
    if (this.size >= AsciiPieceTable.MAX_FILL) {
      this.keys.fill(undefined);
      this.size = 0;
    }
    const h = AsciiPieceTable.hash(t, start, end);
    const mask = AsciiPieceTable.SLOTS - 1;
    let slot = h & mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & mask;
    this.keys[slot] = piece;
    this.hashes[slot] = h;
    this.counts[slot] = count;
    this.size++;
  }
}

// ASCII pre-tokenizer. For ASCII input, \p{L} is [A-Za-z] (\p{Lu} = A-Z, \p{Ll} = a-z; Lt, Lm, Lo
// and M have no ASCII members), \p{N} is [0-9] and \s is [\t\n\v\f\r ], so both encodings' patterns
// reduce to character classes a table lookup decides. scanAsciiPiece returns where the regex's
// match starting at `i` ends, trying the alternatives in the pattern's order with its greedy
// backtracking spelled out; test/limits/tokens.test.ts checks it piece by piece against the regex.
export const NON_ASCII = /[\u0080-\uffff]/;
const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;
const NEWLINE = 4; // \r \n
const SPACE = 5; // \t \v \f and ' '
const OTHER = 6; // punctuation, symbols, control characters
const CHAR_CLASS = new Uint8Array(128).fill(OTHER);
for (let c = 65; c <= 90; c++) CHAR_CLASS[c] = UPPER;
for (let c = 97; c <= 122; c++) CHAR_CLASS[c] = LOWER;
for (let c = 48; c <= 57; c++) CHAR_CLASS[c] = DIGIT;
CHAR_CLASS[10] = NEWLINE;
CHAR_CLASS[13] = NEWLINE;
for (const c of [9, 11, 12, 32]) CHAR_CLASS[c] = SPACE;

const classAt = (t: string, i: number): number => (i < t.length ? (CHAR_CLASS[t.charCodeAt(i)] as number) : 0);
const lowerAt = (t: string, i: number): number => t.charCodeAt(i) | 0x20;

/** End of `'s|'t|'re|'ve|'m|'ll|'d` (any case) starting at `i`, or -1. */
function contractionEnd(t: string, i: number): number {
  if (t.charCodeAt(i) !== 39 || i + 1 >= t.length) return -1;
  const a = lowerAt(t, i + 1);
  if (a === 115 || a === 116 || a === 109 || a === 100) return i + 2; // s t m d
  if (i + 2 >= t.length) return -1;
  const b = lowerAt(t, i + 2);
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return i + 3; // re ve ll
  return -1;
}

/** The pieces the ASCII pre-tokenizer splits `text` into (for tests against the regex). */
export function preTokenizeAscii(encoding: EncodingName, text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const end = scanAsciiPiece(text, i, encoding === 'o200k_base');
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/** End of the pre-tokenizer match at `i` (o200k_base or cl100k_base pattern), for ASCII `t`. */
export function scanAsciiPiece(t: string, i: number, o200k: boolean): number {
  const len = t.length;
  const c = classAt(t, i);
  if (!o200k) {
    // cl100k: contractions come first.
    const e = contractionEnd(t, i);
    if (e > 0) return e;
  }
  // [^\r\n\p{L}\p{N}]? before the letters: tried with the prefix first; without it the
  // alternative can only match when t[i] itself is a letter.
  const j = c === SPACE || c === OTHER ? i + 1 : i;
  if (o200k) {
    // [prefix]? [Lu…]* [Ll…]+ contraction?   then   [prefix]? [Lu…]+ [Ll…]* contraction?
    let k = j;
    while (classAt(t, k) === UPPER) k++;
    if (classAt(t, k) === LOWER) {
      while (classAt(t, k) === LOWER) k++;
      const e = contractionEnd(t, k);
      return e > 0 ? e : k;
    }
    if (k > j) {
      const e = contractionEnd(t, k);
      return e > 0 ? e : k;
    }
  } else {
    // [prefix]? \p{L}+
    let k = j;
    for (let cl = classAt(t, k); cl === UPPER || cl === LOWER; cl = classAt(t, k)) k++;
    if (k > j) return k;
  }
  if (c === DIGIT) {
    // \p{N}{1,3}
    let k = i + 1;
    while (k < len && k < i + 3 && classAt(t, k) === DIGIT) k++;
    return k;
  }
  // " ?[^\s\p{L}\p{N}]+[\r\n]*" (o200k: "[\r\n/]*")
  const p = c === OTHER ? i : t.charCodeAt(i) === 32 && classAt(t, i + 1) === OTHER ? i + 1 : -1;
  if (p >= 0) {
    let k = p + 1;
    while (classAt(t, k) === OTHER) k++;
    for (;;) {
      const cl = classAt(t, k);
      if (cl === NEWLINE || (o200k && t.charCodeAt(k) === 47)) k++;
      else break;
    }
    return k;
  }
  // Whitespace run [i, r): "\s*[\r\n]+" ends after its last newline; else "\s+(?!\S)" leaves the
  // last space for the next word (unless the run ends the text); else "\s+".
  let r = i;
  let lastNewline = -1;
  for (let cl = classAt(t, r); cl === SPACE || cl === NEWLINE; cl = classAt(t, r)) {
    if (cl === NEWLINE) lastNewline = r;
    r++;
  }
  if (lastNewline >= 0) return lastNewline + 1;
  if (r === len || r - i < 2) return r;
  return r - 1;
}
