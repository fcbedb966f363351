/**
 * Word tokenizer matching GloVe's (Stanford) tokenization closely enough for lookups:
 * lowercase, clitics split off ("don't" → "do" "n't", "it's" → "it" "'s"), punctuation dropped.
 */
export function wordTokens(text: string): string[] {
  const lowered = text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/n't\b/g, " n't")
    .replace(/'(s|re|ve|ll|d|m)\b/g, " '$1");
  return lowered.match(/n't|'[a-z]+|[\p{L}\p{N}]+/gu) ?? [];
}
