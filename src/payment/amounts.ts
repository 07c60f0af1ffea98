import { Invalid } from '../kernel/errors';

/**
 * Amounts travel as decimal text (yagna's BigDecimal strings). The ledger books them in whole units of 10^-9 so
 * that Lua scripts can add and compare them exactly (Redis integers; Lua doubles are exact below 2^53 units,
 * i.e. about nine million tokens per allocation).
 */
const SCALE = 9;
const DECIMAL = /^(\d{1,15})(?:\.(\d{1,18}))?$/;

/** Units of a decimal text amount (digits beyond the ninth decimal are dropped); 400 naming `field` otherwise. */
export function toUnits(text: string, field: string): number {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new Invalid(`Invalid ${field}: expected a non-negative decimal number as text, such as "1.5"`);
  const units = Number(m[1]) * 10 ** SCALE + Number((m[2] ?? '').padEnd(SCALE, '0').slice(0, SCALE));
  if (!Number.isSafeInteger(units)) throw new Invalid(`Invalid ${field}: too large`);
  return units;
}

/** Decimal text of a whole number of units, without trailing zeros ("0", "1.5", "0.000000001"). */
export function fromUnits(units: number): string {
  const whole = Math.floor(units / 10 ** SCALE);
  const fraction = String(units - whole * 10 ** SCALE)
    .padStart(SCALE, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

/** Units of a non-negative finite number (a computed price), rounded to the nearest unit. */
export function numberToUnits(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.round(value * 10 ** SCALE);
}
