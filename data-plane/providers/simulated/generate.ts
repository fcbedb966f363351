/**
 * What the simulated model says: an echo of the last user message followed by plausible filler
 * sentences, sized in tokens with common/tokens.ts so that usage matches the text exactly; JSON
 * values generated from a JSON Schema for json mode and tool-call arguments.
 */
import { countTextTokens } from '../../../common/tokens.js';
import { pick, type Rng } from './prng.js';

const SENTENCES = [
  'Here is a short answer based on what you asked.',
  'This reply comes from the simulated provider, so no real model was called.',
  'The same request always produces the same text, which keeps tests and demos repeatable.',
  'Latency, reply length and error rate come from the provider settings in the config.',
  'Budgets, rate limits, caching and cost records apply exactly as they would for a real provider.',
  'Each piece of this reply is streamed as its own chunk to mimic token-by-token output.',
  'In a real deployment this text would come from the upstream model.',
  'Let me know if you would like more detail on any part of this.',
] as const;

/** Words for schema-shaped string values. */
const WORDS = ['alpha', 'bravo', 'delta', 'river', 'gate', 'harbor', 'signal', 'amber', 'north', 'cobalt'] as const;

const ECHO_CHARS = 80;

/** The reply split into stream pieces (each piece one chunk), within `maxTokens` tokens. */
export interface Generated {
  pieces: string[];
  text: string;
  tokens: number;
  /** True when the reply was cut by maxTokens rather than ending naturally. */
  truncated: boolean;
}

function echoPieces(prompt: string): Generated['pieces'] {
  const echo = prompt.replace(/\s+/g, ' ').trim().slice(0, ECHO_CHARS);
  const head = echo ? `You said: "${echo}${prompt.length > ECHO_CHARS ? '…' : ''}".` : 'Hello.';
  return head.split(/(?= )/);
}

/** Pieces of text totalling about `target` tokens (never more), the first ones echoing `prompt`. */
export function generateText(model: string, rng: Rng, prompt: string, target: number, cappedByMax: boolean): Generated {
  const pieces: string[] = [];
  let estimate = 0;
  const add = (p: string) => {
    pieces.push(p);
    estimate += countTextTokens(model, p);
  };
  for (const p of echoPieces(prompt)) {
    if (estimate >= target) break;
    add(p);
  }
  while (estimate < target) {
    for (const word of pick(rng, SENTENCES).split(' ')) {
      if (estimate >= target) break;
      add(` ${word}`);
    }
  }
  // Per-piece counts approximate the whole; trim until the exact count fits.
  let text = pieces.join('');
  let tokens = countTextTokens(model, text);
  while (tokens > target && pieces.length > 0) {
    pieces.pop();
    text = pieces.join('');
    tokens = countTextTokens(model, text);
  }
  return { pieces, text, tokens, truncated: cappedByMax };
}

/** A value conforming (loosely) to a JSON Schema: objects with all properties, enums honoured. */
export function valueFor(schema: unknown, rng: Rng, depth = 0): unknown {
  const s = (schema && typeof schema === 'object' ? schema : {}) as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return pick(rng, s.enum);
  if ('const' in s) return s.const;
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      if (depth > 4) return out;
      for (const [k, v] of Object.entries(props)) out[k] = valueFor(v, rng, depth + 1);
      return out;
    }
    case 'array':
      return depth > 4 ? [] : [valueFor(s.items, rng, depth + 1)];
    case 'integer':
      return Math.floor(rng() * 100);
    case 'number':
      return Math.round(rng() * 10_000) / 100;
    case 'boolean':
      return rng() < 0.5;
    case 'null':
      return null;
    default:
      return `${pick(rng, WORDS)} ${pick(rng, WORDS)}`;
  }
}
