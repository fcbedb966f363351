import * as NEW from '../common/tokens.js';
import * as OLD from '../common/.p2-tokens-old.js';
const WORDS = 'the customer wrote that their order arrived late and one of the books had a damaged cover they would like to know whether a replacement can be shipped before the end of the month and whether the shipping costs will be refunded they also asked about the loyalty programme and how many points the purchase earned since the receipt did not show any points at all';
const msgs = (i: number) => [{ role: 'system' as const, content: 'You are a helpful assistant for an online bookshop.' }, { role: 'user' as const, content: `Request ${i}: ${WORDS} ${WORDS} ${WORDS}.` }];
NEW.warmTokenizers(); OLD.warmTokenizers();
const best: Record<string, number> = {};
let base = 0;
for (let r = 0; r < 8; r++) for (const [name, M] of [['old', OLD], ['new', NEW]] as const) {
  for (const model of ['gpt-4o-mini', 'chat']) {
    const s = process.cpuUsage(); 
    for (let i = 0; i < 3000; i++) M.countChatTokens(model, msgs(++base));
    const d = process.cpuUsage(s); const us = (d.user + d.system) / 3000;
    const k = `${name} ${model}`; best[k] = Math.min(best[k] ?? 1e9, us);
  }
}
console.log(best);
