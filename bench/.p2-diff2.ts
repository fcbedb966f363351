import { createRequire } from 'node:module';
import { preTokenizeAscii } from '../common/tokens.js';
const require = createRequire(import.meta.url);
const pats = { o200k_base: new RegExp(require('js-tiktoken/ranks/o200k_base').pat_str, 'gu'), cl100k_base: new RegExp(require('js-tiktoken/ranks/cl100k_base').pat_str, 'gu') };
const alphabet = "aaaaeeeiioouuttnnssrrhhllddAEITSRNXZQ0123456789          \n\n\r\t\v\f''''////..,,;:!?-_()[]{}<>\"#$%&*+=@\\^`|~\x00\x01\x1f\x7f".split('');
const frags = ["'s", "'S", "'re", "'RE", "'Ve", "'ll", "'LL", "'d", "'m", "'t", "n't", " \n ", "\r\n", "  ", "ABCdef", "ABC", "http://x.y/z", "1234567", "...\n//", " .", "' s", "'r", "'l"];
let seed = 7;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
let bad = 0;
for (let iter = 0; iter < 100000; iter++) {
  let s = '';
  const len = 1 + rnd(30);
  for (let k = 0; k < len; k++) s += rnd(3) === 0 ? frags[rnd(frags.length)] : alphabet[rnd(alphabet.length)];
  for (const enc of ['o200k_base', 'cl100k_base'] as const) {
    const a = preTokenizeAscii(enc, s); const b = s.match(pats[enc]) ?? [];
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) { bad++; if (bad < 10) console.log(enc, JSON.stringify(s), a, b); }
  }
}
console.log('mismatches', bad);
