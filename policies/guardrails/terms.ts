/**
 * Blocked terms: case-insensitive, whole words only (Unicode-aware: "class" does not match
 * "classified"), whitespace inside a term matches any run of whitespace. Longer terms are tried
 * first so "project apollo" wins over "apollo".
 */
export function compileTerms(terms: readonly string[]): RegExp | null {
  const cleaned = [...new Set(terms.map((t) => t.trim()).filter((t) => t.length > 0))];
  if (cleaned.length === 0) return null;
  cleaned.sort((a, b) => b.length - a.length);
  const alternatives = cleaned.map((t) =>
    t
      .split(/\s+/)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('\\s+'),
  );
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
}
