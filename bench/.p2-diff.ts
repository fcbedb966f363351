import { createRequire } from 'node:module';
import { Tiktoken } from 'js-tiktoken/lite';
import { countTextTokens } from '../common/tokens.js';
const require = createRequire(import.meta.url);
const ref = { o: new Tiktoken(require('js-tiktoken/ranks/o200k_base')), c: new Tiktoken(require('js-tiktoken/ranks/cl100k_base')) };
const alphabet = "aaaaeeeiioouuttnnssrrhhllddAEITSRNXZQ0123456789          \n\n\r\t\v\f''''////..,,;:!?-_()[]{}<>\"#$%&*+=@\\^`|~\x00\x01\x1f\x7f".split('');
const frags = ["'s", "'S", "'re", "'RE", "'Ve", "'ll", "'LL", "'d", "'m", "'t", "n't", " \n ", "\r\n", "  ", "ABCdef", "ABC", "http://x.y/z", "1234567", "...\n//", " ."];
let seed = 42;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
let bad = 0;
for (let iter = 0; iter < 30000; iter++) {
  let s = '';
  const len = 1 + rnd(40);
  for (let k = 0; k < len; k++) s += rnd(4) === 0 ? frags[rnd(frags.length)] : alphabet[rnd(alphabet.length)];
  const a = countTextTokens('gpt-4o', s), b = ref.o.encode(s, [], []).length;
  const c = countTextTokens('gpt-4', s), d = ref.c.encode(s, [], []).length;
  if (a !== b || c !== d) { bad++; if (bad < 10) console.log(JSON.stringify(s), a, b, c, d); }
}
console.log('mismatches', bad);
