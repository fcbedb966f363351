import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import { describe, expect, it } from 'vitest';
import {
  chatTokensUpperBound,
  countChatTokens,
  countTextTokens,
  LONG_TEXT_CHARS,
  preTokenizeAscii,
  tokenizerFor,
} from '../../common/tokens.js';

const require = createRequire(import.meta.url);
const reference = {
  o200k_base: new Tiktoken(require('js-tiktoken/ranks/o200k_base') as TiktokenBPE),
  cl100k_base: new Tiktoken(require('js-tiktoken/ranks/cl100k_base') as TiktokenBPE),
};
const ref = (enc: keyof typeof reference, text: string) => reference[enc].encode(text, [], []).length;

const TEXTS = [
  'hello world',
  'tiktoken is great!',
  'Grüße aus München — naïve café, 東京タワー, مرحبا, 😀🚀 emoji.',
  'function add(a: number, b: number): number {\n  return a + b;\n}\n\n\n    indented   spaces\t\ttabs',
  'Numbers 1234567890 3.14159 1e-9 and URLs https://example.com/a?b=c&d=e#f',
  'special tokens as plain text: <|endoftext|> <|im_start|> <|fim_prefix|>',
  "it's they're we've I'm you'll he'd IT'S",
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  ' '.repeat(300),
  JSON.stringify({ nested: { array: [1, 2, { deep: 'value' }], unicode: 'ü' } }),
];

describe('token counting', () => {
  it('picks the encoding per model family', () => {
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5', 'o1', 'o3-mini', 'o4-mini', 'openai/gpt-4o']) {
      expect(tokenizerFor(m)).toEqual({ encoding: 'o200k_base', factor: 1, exact: true });
    }
    for (const m of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo', 'text-embedding-3-small', 'text-embedding-ada-002']) {
      expect(tokenizerFor(m)).toEqual({ encoding: 'cl100k_base', factor: 1, exact: true });
    }
    for (const m of ['claude-3-5-sonnet-20241022', 'gemini-1.5-pro', 'models/gemini-2.0-flash', 'llama-3-70b']) {
      expect(tokenizerFor(m)).toEqual({ encoding: 'cl100k_base', factor: 1.1, exact: false });
    }
  });

  it('counts exactly what js-tiktoken encodes, in both encodings', () => {
    expect(countTextTokens('gpt-4', 'tiktoken is great!')).toBe(6); // OpenAI cookbook's example
    expect(countTextTokens('gpt-4o', 'hello world')).toBe(2);
    for (const text of TEXTS) {
      expect(countTextTokens('gpt-4o', text), text).toBe(ref('o200k_base', text));
      expect(countTextTokens('gpt-4', text), text).toBe(ref('cl100k_base', text));
      // Second call goes through the piece memo / LRU: same answer.
      expect(countTextTokens('gpt-4o', text)).toBe(ref('o200k_base', text));
    }
  });

  it('the ASCII pre-tokenizer splits exactly like the Unicode regex (random ASCII texts)', () => {
    const alphabet =
      "aaeeiioottnnssrrhhAEITSZ0123456789      \n\n\r\t\v\f''//..,;:!?-_()[]{}<>\"#$%&*+=@\\^`|~\x00\x1f\x7f";
    const fragments = [
      "'s",
      "'S",
      "'re",
      "'RE",
      "'Ve",
      "'ll",
      "'d",
      "'m",
      "'t",
      "n't",
      ' \n ',
      '\r\n',
      'ABCdef',
      'ABC',
    ];
    const fragments2 = ['http://x.y/z', '1234567', '...\n//', ' .', "' s", "'r", "'l"];
    const all = [...fragments, ...fragments2];
    const patterns = {
      o200k_base: new RegExp((require('js-tiktoken/ranks/o200k_base') as TiktokenBPE).pat_str, 'gu'),
      cl100k_base: new RegExp((require('js-tiktoken/ranks/cl100k_base') as TiktokenBPE).pat_str, 'gu'),
    };
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let iter = 0; iter < 4000; iter++) {
      let s = '';
      const len = 1 + rnd(30);
      for (let k = 0; k < len; k++) s += rnd(3) === 0 ? all[rnd(all.length)] : alphabet[rnd(alphabet.length)];
      for (const enc of ['o200k_base', 'cl100k_base'] as const) {
        expect(preTokenizeAscii(enc, s), JSON.stringify(s)).toEqual(s.match(patterns[enc]) ?? []);
      }
    }
    for (const text of TEXTS.filter((t) => !/[\u0080-\uffff]/.test(t))) {
      expect(preTokenizeAscii('o200k_base', text)).toEqual(text.match(patterns.o200k_base));
      expect(preTokenizeAscii('cl100k_base', text)).toEqual(text.match(patterns.cl100k_base));
    }
  });

  it('chatTokensUpperBound never undercounts (what lets guardrails skip the exact count)', () => {
    for (const model of ['gpt-4o', 'gpt-4', 'claude-3-5-sonnet', 'route-name']) {
      for (const text of TEXTS) {
        const messages = [
          { role: 'system' as const, content: text },
          { role: 'user' as const, content: [{ type: 'text' as const, text }], name: 'bob' },
          {
            role: 'assistant' as const,
            content: null,
            tool_calls: [{ id: 'c', type: 'function' as const, function: { name: 'f', arguments: text } }],
          },
        ];
        const bound = chatTokensUpperBound(model, messages as never);
        expect(bound).not.toBeNull();
        expect(bound!).toBeGreaterThanOrEqual(countChatTokens(model, messages as never));
      }
    }
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: {} } }];
    expect(chatTokensUpperBound('gpt-4o', [{ role: 'user', content: 'hi' }], tools as never)).toBeNull();
    expect(chatTokensUpperBound('gpt-4o', [{ role: 'user', content: 'x'.repeat(LONG_TEXT_CHARS + 1) }])).toBeNull();
  });

  it('approximates Anthropic and Gemini as cl100k × 1.10, rounded up', () => {
    for (const text of TEXTS) {
      expect(countTextTokens('claude-3-5-haiku', text)).toBe(Math.ceil(ref('cl100k_base', text) * 1.1));
      expect(countTextTokens('gemini-1.5-flash', text)).toBe(Math.ceil(ref('cl100k_base', text) * 1.1));
    }
  });

  it('chat overhead: 3 per message + role + content, +1 and the name when named, +3 reply priming', () => {
    const messages = [
      { role: 'system' as const, content: 'You are a helpful assistant.' },
      { role: 'user' as const, content: 'Hi there', name: 'bob' },
      { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'Hello!' }] },
    ];
    const t = (s: string) => ref('o200k_base', s);
    const expected =
      3 +
      (3 + t('system') + t('You are a helpful assistant.')) +
      (3 + t('user') + t('Hi there') + 1 + t('bob')) +
      (3 + t('assistant') + t('Hello!'));
    expect(countChatTokens('gpt-4o', messages)).toBe(expected);
  });

  it('tools follow the cookbook formula; images use the documented estimate', () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Get the weather.',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string', description: 'City name.' },
              unit: { type: 'string', description: 'Unit', enum: ['c', 'f'] },
            },
          },
        },
      },
    ];
    const t = (s: string) => ref('o200k_base', s);
    const base = countChatTokens('gpt-4o', [{ role: 'user', content: 'x' }]);
    const toolTokens =
      7 +
      t('get_weather:Get the weather') +
      3 +
      (3 + t('city:string:City name')) +
      (3 - 3 + 3 + t('c') + 3 + t('f') + t('unit:string:Unit')) +
      12;
    expect(countChatTokens('gpt-4o', [{ role: 'user', content: 'x' }], tools)).toBe(base + toolTokens);
    const withImage = countChatTokens('gpt-4o', [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'x' },
          { type: 'image_url', image_url: { url: 'data:,', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'data:,' } },
        ],
      },
    ]);
    expect(withImage).toBe(base + 85 + 765);
  });

  it('long texts are estimated from samples, close to and not below the exact count', () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma'.split(
      ' ',
    );
    let text = '';
    for (let i = 0; text.length < LONG_TEXT_CHARS * 2; i++)
      text += `${words[(i * 7) % words.length]}${i % 13 === 0 ? '.\n' : ' '}`;
    const exact = ref('o200k_base', text);
    const estimate = countTextTokens('gpt-4o', text);
    expect(estimate).toBeGreaterThanOrEqual(exact);
    expect(estimate).toBeLessThanOrEqual(Math.ceil(exact * 1.1));
  });
});
