/**
 * Validators for national identifiers, so that look-alike numbers are not flagged:
 * - US Social Security Number (area/group/serial rules of the SSA);
 * - UK National Insurance Number (HMRC prefix rules);
 * - Spanish DNI and NIE (mod-23 check letter);
 * - Italian codice fiscale (check character over the 15 preceding characters).
 */

/** "123-45-6789" / "123 45 6789" (separators already verified by the pattern). */
export function validSsn(match: string): boolean {
  const d = match.replace(/\D/g, '');
  if (d.length !== 9) return false;
  const area = Number(d.slice(0, 3));
  const group = Number(d.slice(3, 5));
  const serial = Number(d.slice(5));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0 || serial === 0) return false;
  // Numbers published in advertising and never issued to anyone (SSA).
  if (d === '078051120' || d === '219099999') return false;
  return true;
}

const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

export function validNino(match: string): boolean {
  const s = match.replace(/\s/g, '');
  return s.length === 9 && !NINO_BAD_PREFIXES.has(s.slice(0, 2));
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI "12345678Z" (optionally "12345678-Z"). */
export function validDni(match: string): boolean {
  const s = match.replace('-', '');
  const n = Number(s.slice(0, 8));
  return DNI_LETTERS[n % 23] === s[8];
}

/** Spanish NIE "X1234567L": X/Y/Z stand for 0/1/2 in front of the number. */
export function validNie(match: string): boolean {
  const s = match.replaceAll('-', '');
  const prefix = 'XYZ'.indexOf(s[0]);
  if (prefix < 0) return false;
  const n = Number(`${prefix}${s.slice(1, 8)}`);
  return DNI_LETTERS[n % 23] === s[8];
}

// Values of characters in odd (1st, 3rd, …) positions of a codice fiscale, for 0-9 then A-Z.
const CF_ODD_DIGITS = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const CF_ODD_LETTERS = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** Italian codice fiscale "RSSMRA85T10A562S": the 16th character is a checksum of the first 15. */
export function validCodiceFiscale(match: string): boolean {
  if (match.length !== 16) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const c = match.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    const v = isDigit ? c - 48 : c - 65;
    if (i % 2 === 0) sum += isDigit ? CF_ODD_DIGITS[v] : CF_ODD_LETTERS[v];
    else sum += v;
  }
  return String.fromCharCode(65 + (sum % 26)) === match[15];
}
