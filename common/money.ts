/**
 * Exact money. Floats never hold money in Sluice:
 * - budgets and spend counters: integer micro-dollars (1 USD = 1e6);
 * - prices: integer pico-dollars per token (1 USD per 1M tokens = 1e6 pico-dollars per token);
 * - one request's cost: integer pico-dollars (exact), charged to budgets as micro-dollars
 *   rounded up, so a budget is never under-charged (documented bound: < 1 µ$ per request).
 */

export class MoneyFormatError extends Error {
  override name = 'MoneyFormatError';
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Parses a non-negative decimal string into an integer of `scale` decimal places. */
export function parseDecimal(text: string, scale: number): number {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new MoneyFormatError(`"${text}" is not a non-negative decimal number`);
  const [, whole, frac = ''] = m;
  if (frac.length > scale) {
    throw new MoneyFormatError(`"${text}" has more than ${scale} decimal places`);
  }
  const value = BigInt(whole + frac.padEnd(scale, '0'));
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyFormatError(`"${text}" is too large`);
  return Number(value);
}

/** "12.50" USD → 12_500_000 micro-dollars. */
export function usdToMicros(text: string): number {
  return parseDecimal(text, 6);
}

/** "2.50" USD per 1M tokens → 2_500_000 pico-dollars per token. */
export function perMillionToPicoPerToken(text: string): number {
  return parseDecimal(text, 6);
}

/** Pico-dollars → micro-dollars, rounded up (never under-charge a budget). */
export function picoToMicrosCeil(pico: number): number {
  return Math.ceil(pico / 1_000_000);
}

/** Exact decimal rendering of an integer amount with `scale` decimals (no float formatting). */
export function formatScaled(amount: number, scale: number): string {
  const negative = amount < 0;
  const digits = Math.abs(Math.trunc(amount))
    .toString()
    .padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export function formatMicros(micros: number): string {
  return formatScaled(micros, 6);
}

export function formatPico(pico: number): string {
  return formatScaled(pico, 12);
}
