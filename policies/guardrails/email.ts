/**
 * Email detection anchored on '@' (found with indexOf, i.e. memchr): a regex that starts at every
 * word would backtrack through each word of ordinary prose, which made it the slowest detector by
 * an order of magnitude. Local part: up to 64 of [A-Za-z0-9._%+-] before the '@'; domain: labels
 * of letters, digits and inner hyphens, ending in a 2–24 letter TLD.
 */
const DOMAIN =
  /[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/y;

const isLocalChar = (c: number): boolean =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45;

/** Replaces every email address in `text` with `replacement()`; returns `text` itself when none. */
export function replaceEmails(text: string, replacement: () => string): string {
  let at = text.indexOf('@');
  if (at < 0) return text;
  let out = '';
  let copied = 0;
  while (at >= 0) {
    let start = at;
    while (start > 0 && at - start < 64 && isLocalChar(text.charCodeAt(start - 1))) start--;
    // The local part must not continue further left (then it is longer than 64 characters).
    const tooLong = start > 0 && isLocalChar(text.charCodeAt(start - 1));
    DOMAIN.lastIndex = at + 1;
    const m = start < at && !tooLong ? DOMAIN.exec(text) : null;
    if (m) {
      const end = at + 1 + m[0].length;
      out += text.slice(copied, start) + replacement();
      copied = end;
      at = text.indexOf('@', end);
    } else {
      at = text.indexOf('@', at + 1);
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
