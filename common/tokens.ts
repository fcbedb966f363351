/**
 * Token counting for reservations and guardrails (js-tiktoken, pure JS, no native code).
 *
 * - OpenAI models use their real encoding: o200k_base (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3/o4,
 *   gpt-oss) or cl100k_base (gpt-4, gpt-3.5, text-embedding-*). Chat overhead follows OpenAI's
 *   cookbook: 3 tokens per message, +1 when `name` is set, +3 to prime the reply; tools follow the
 *   cookbook's function-definition formula (see countToolTokens).
 * - Anthropic (claude*), Gemini (gemini*, gemma*) and unknown models have no public JS tokenizer:
 *   they are approximated as cl100k_base × 1.10, rounded up. The factor errs high on purpose — the
 *   estimate sizes a reservation, and reconciliation corrects it to the provider's usage.
 *
 * Encoders are built lazily, once per encoding, and only the ranks an encoding needs are loaded
 * (createRequire keeps that synchronous so the exported signatures stay sync). Repeated message
 * contents (multi-turn conversations resend them) hit a small LRU; texts over LONG_TEXT_CHARS are
 * estimated from samples (see countLongText) so one huge prompt cannot stall the event loop.
 */
import { createRequire } from 'node:module';
import type { TiktokenBPE } from 'js-tiktoken/lite';
import type { ChatMessage, ToolDefinition } from './openai-types.js';
import { AsciiPieceTable, NON_ASCII, scanAsciiPiece } from './tokens-ascii.js';

export { preTokenizeAscii } from './tokens-ascii.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export interface TokenizerInfo {
  encoding: EncodingName;
  /** Multiplier applied to the encoding's count (1 for exact OpenAI encodings). */
  factor: number;
  /** True when the count is the model's real tokenizer, false for a documented approximation. */
  exact: boolean;
}

/** Approximation factor for models without a public tokenizer (Anthropic, Gemini, others). */
export const APPROXIMATION_FACTOR = 1.1;

const O200K = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|gpt-oss|omni-moderation|codex)/;
const CL100K = /^(gpt-4|gpt-3\.5|gpt-35|text-embedding-|davinci-002|babbage-002)/;

const infoCache = new Map<string, TokenizerInfo>();

/** Which encoding (and approximation factor) counts tokens for `model`. */
export function tokenizerFor(model: string): TokenizerInfo {
  let info = infoCache.get(model);
  if (info) return info;
  // "openai/gpt-4o" and "models/gemini-1.5-pro" → the bare model name.
  const bare = model.toLowerCase().replace(/^.*\//, '');
  if (O200K.test(bare)) info = { encoding: 'o200k_base', factor: 1, exact: true };
  else if (CL100K.test(bare)) info = { encoding: 'cl100k_base', factor: 1, exact: true };
  else info = { encoding: 'cl100k_base', factor: APPROXIMATION_FACTOR, exact: false };
  if (infoCache.size < 1024) infoCache.set(model, info);
  return info;
}

const require = createRequire(import.meta.url);

/**
 * A count-only BPE over js-tiktoken's rank files. js-tiktoken's own encode() compiles its regex
 * on every call and joins byte arrays into string keys per piece; counting needs neither the ids
 * nor that garbage, and memoizing per pre-tokenized piece (words repeat) makes it several times
 * faster. Results equal js-tiktoken's encode(text, [], []).length (checked in test/limits).
 * Pure-ASCII texts (most prompts) skip the Unicode-property regex: scanAsciiPiece splits them
 * exactly as the regex would, several times faster.
 */
class BpeCounter {
  private readonly ranks = new Map<string, number>();
  private readonly pieces = new Map<string, number>();
  private readonly pattern: RegExp;
  private readonly o200k: boolean;
  private readonly ascii = new AsciiPieceTable();

  constructor(name: EncodingName, file: TiktokenBPE) {
    this.pattern = new RegExp(file.pat_str, 'gu');
    this.o200k = name === 'o200k_base';
    for (const line of file.bpe_ranks.split('\n')) {
      if (!line) continue;
      const fields = line.split(' ');
      const offset = Number.parseInt(fields[1] ?? '0', 10);
      for (let i = 2; i < fields.length; i++) {
        this.ranks.set(Buffer.from(fields[i]!, 'base64').toString('latin1'), offset + i - 2);
      }
    }
  }

  count(text: string): number {
    let n = 0;
    if (NON_ASCII.test(text)) {
      const re = this.pattern;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) n += this.piece(m[0]);
      return n;
    }
    const o200k = this.o200k;
    const table = this.ascii;
    for (let i = 0; i < text.length; ) {
      const end = scanAsciiPiece(text, i, o200k);
      // Look the piece up by its characters in place; only an unseen piece is sliced out.
      let known = table.get(text, i, end);
      if (known < 0) {
        const piece = text.slice(i, end);
        known = this.ranks.has(piece) ? 1 : this.merge(piece);
        table.set(text, i, end, piece, known);
      }
      n += known;
      i = end;
    }
    return n;
  }

  private piece(piece: string): number {
    const known = this.pieces.get(piece);
    if (known !== undefined) return known;
    const bytes = Buffer.from(piece, 'utf8').toString('latin1');
    const n = this.ranks.has(bytes) ? 1 : this.merge(bytes);
    // Bounded memo: clearing wholesale is cheaper than LRU bookkeeping per piece.
    if (this.pieces.size >= 200_000) this.pieces.clear();
    this.pieces.set(piece, n);
    return n;
  }

  /** Standard byte-pair merge (lowest rank first); returns the number of resulting tokens. */
  private merge(bytes: string): number {
    const starts: number[] = [];
    for (let i = 0; i <= bytes.length; i++) starts.push(i);
    while (starts.length > 2) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i < starts.length - 2; i++) {
        const rank = this.ranks.get(bytes.slice(starts[i], starts[i + 2]));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      starts.splice(best + 1, 1);
    }
    return starts.length - 1;
  }
}

const counters = new Map<EncodingName, BpeCounter>();

function counter(name: EncodingName): BpeCounter {
  let c = counters.get(name);
  if (!c) {
    c = new BpeCounter(name, require(`js-tiktoken/ranks/${name}`) as TiktokenBPE);
    counters.set(name, c);
  }
  return c;
}

/** Exact BPE count; special-token text in user content is counted as plain text (never throws). */
function encodeCount(enc: EncodingName, text: string): number {
  return counter(enc).count(text);
}

/** Loads the encodings ahead of the first request (each takes ~1 s to build). */
export function warmTokenizers(names: EncodingName[] = ['o200k_base', 'cl100k_base']): void {
  for (const name of names) counter(name);
}

// Small LRU for repeated contents (system prompts, earlier turns). Short strings are cheaper to
// count than to hash into a Map key, so they bypass it. One map per encoding, keyed by the text
// itself: a prefixed key would copy (flatten) every long text before hashing it.
const CACHE_MIN_CHARS = 256;
const CACHE_MAX_ENTRIES = 4096;
const caches: Record<EncodingName, Map<string, number>> = { o200k_base: new Map(), cl100k_base: new Map() };

/** Above this length a text is estimated from samples instead of encoded whole. */
export const LONG_TEXT_CHARS = 64_000;
const SAMPLE_CHARS = 8_000;
const SAMPLES = 4;
/** Sampling error margin (the estimate is scaled up by this). */
const LONG_TEXT_MARGIN = 1.05;

/**
 * Long texts: encode SAMPLES evenly spaced windows of SAMPLE_CHARS, scale tokens-per-char to the
 * whole length and add 5%. Cost is bounded (~32k chars encoded) whatever the input size.
 */
function countLongText(enc: EncodingName, text: string): number {
  const step = Math.floor((text.length - SAMPLE_CHARS) / (SAMPLES - 1));
  let tokens = 0;
  let chars = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const sample = text.slice(i * step, i * step + SAMPLE_CHARS);
    tokens += encodeCount(enc, sample);
    chars += sample.length;
  }
  return Math.ceil((tokens / chars) * text.length * LONG_TEXT_MARGIN);
}

function rawCount(enc: EncodingName, text: string): number {
  if (text.length === 0) return 0;
  if (text.length < CACHE_MIN_CHARS) return encodeCount(enc, text);
  const cache = caches[enc];
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const n = text.length > LONG_TEXT_CHARS ? countLongText(enc, text) : encodeCount(enc, text);
  if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(text, n);
  return n;
}

/** Tokens of a plain string for `model`'s tokenizer. */
export function countTextTokens(model: string, text: string): number {
  const info = tokenizerFor(model);
  const n = rawCount(info.encoding, text);
  return info.factor === 1 ? n : Math.ceil(n * info.factor);
}

/** Documented image estimate: "low" detail is 85 tokens; otherwise a 1024×1024 image (4 tiles). */
export const IMAGE_TOKENS_LOW = 85;
export const IMAGE_TOKENS_DEFAULT = 765;

function contentTokens(enc: EncodingName, content: ChatMessage['content']): number {
  if (content === null || content === undefined) return 0;
  if (typeof content === 'string') return rawCount(enc, content);
  let n = 0;
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') n += rawCount(enc, part.text);
    else if (part.type === 'image_url') {
      const detail = (part as { image_url?: { detail?: string } }).image_url?.detail;
      n += detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_DEFAULT;
    } else n += rawCount(enc, JSON.stringify(part));
  }
  return n;
}

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
/** Per tool call in an assistant message (id/type framing), on top of name + arguments. */
const TOKENS_PER_TOOL_CALL = 3;

/**
 * Tool definitions, per the OpenAI cookbook formula (gpt-4o family constants; gpt-4/3.5 use a
 * function start of 10 instead of 7): per function 7 + tokens("name:description"); if it has
 * properties, 3 + per property 3 + tokens("key:type:description") (+ per enum item 3 + its tokens,
 * −3 per enum); 12 at the end. Nested schemas the formula does not cover add their JSON's tokens.
 */
function countToolTokens(enc: EncodingName, tools: ToolDefinition[]): number {
  if (tools.length === 0) return 0;
  const funcInit = enc === 'o200k_base' ? 7 : 10;
  let n = 0;
  for (const tool of tools) {
    const fn = tool.function;
    if (!fn) {
      n += rawCount(enc, JSON.stringify(tool));
      continue;
    }
    n += funcInit + rawCount(enc, `${fn.name}:${(fn.description ?? '').replace(/\.$/, '')}`);
    const props = (fn.parameters?.properties ?? {}) as Record<string, Record<string, unknown>>;
    const keys = Object.keys(props);
    if (keys.length > 0) {
      n += 3;
      for (const key of keys) {
        const p = props[key] ?? {};
        n += 3;
        if (Array.isArray(p.enum)) {
          n -= 3;
          for (const item of p.enum) n += 3 + rawCount(enc, String(item));
        }
        const desc = typeof p.description === 'string' ? p.description.replace(/\.$/, '') : '';
        n += rawCount(enc, `${key}:${String(p.type ?? '')}:${desc}`);
        if (p.properties || p.items) n += rawCount(enc, JSON.stringify(p.properties ?? p.items));
      }
    }
  }
  return n + 12;
}

/** Prompt tokens of a chat request, with the per-message overhead OpenAI documents. */
export function countChatTokens(model: string, messages: ChatMessage[], tools?: ToolDefinition[]): number {
  const info = tokenizerFor(model);
  const enc = info.encoding;
  let n = REPLY_PRIMING;
  for (const m of messages) {
    n += TOKENS_PER_MESSAGE + rawCount(enc, m.role) + contentTokens(enc, m.content);
    if (typeof m.name === 'string') n += TOKENS_PER_NAME + rawCount(enc, m.name);
    if (m.tool_calls) {
      for (const call of m.tool_calls) {
        n += TOKENS_PER_TOOL_CALL + rawCount(enc, call.function?.name ?? '');
        n += rawCount(enc, call.function?.arguments ?? '');
      }
    }
  }
  if (tools && tools.length > 0) n += countToolTokens(enc, tools);
  return info.factor === 1 ? n : Math.ceil(n * info.factor);
}

/**
 * A cheap upper bound of countChatTokens (same model, messages and tools), or null when there is
 * no cheap one (tools, texts long enough to be sampled). Every BPE token covers at least one UTF-8
 * byte, so a text counts at most its byte length: its length when ASCII, else ≤ 3 × its UTF-16
 * length. Lets a caller that only compares against a limit skip the exact count.
 */
export function chatTokensUpperBound(model: string, messages: ChatMessage[], tools?: ToolDefinition[]): number | null {
  if (tools && tools.length > 0) return null;
  let n = REPLY_PRIMING;
  for (const m of messages) {
    n += TOKENS_PER_MESSAGE + bytesBound(m.role);
    const content = m.content;
    if (typeof content === 'string') n += bytesBound(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text' && typeof part.text === 'string') n += bytesBound(part.text);
        else if (part.type === 'image_url') n += IMAGE_TOKENS_DEFAULT;
        else n += bytesBound(JSON.stringify(part));
      }
    } else if (content !== null && content !== undefined) return null;
    if (typeof m.name === 'string') n += TOKENS_PER_NAME + bytesBound(m.name);
    if (m.tool_calls) {
      for (const call of m.tool_calls) {
        n += TOKENS_PER_TOOL_CALL + bytesBound(call.function?.name ?? '') + bytesBound(call.function?.arguments ?? '');
      }
    }
    if (n > Number.MAX_SAFE_INTEGER / 4) return null;
  }
  const factor = tokenizerFor(model).factor;
  return factor === 1 ? n : Math.ceil(n * factor);
}

/** Upper bound of rawCount(text); Infinity for texts long enough to be estimated from samples. */
function bytesBound(text: string): number {
  if (typeof text !== 'string') return Number.POSITIVE_INFINITY;
  if (text.length > LONG_TEXT_CHARS) return Number.POSITIVE_INFINITY;
  return NON_ASCII.test(text) ? 3 * text.length : text.length;
}
