import { formatUnits, parseUnits } from 'viem';

/** A non-negative decimal string: digits, optionally a point and more digits ("3120.55", "100"). */
export const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/** How many digits follow the decimal point. */
export function fractionDigits(decimal: string): number {
  const dot = decimal.indexOf('.');
  return dot < 0 ? 0 : decimal.length - dot - 1;
}

/** An exact decimal string as an integer of `decimals` places; throws if it has more places than that. */
export function toBaseUnits(decimal: string, decimals: number): bigint {
  if (!DECIMAL.test(decimal) || fractionDigits(decimal) > decimals) {
    throw new RangeError(`'${decimal}' is not a decimal with at most ${decimals} places`);
  }
  return parseUnits(decimal, decimals);
}

/** An integer of `decimals` places as the shortest exact decimal string ("0.0325", "12"). */
export function fromBaseUnits(units: bigint, decimals: number): string {
  return formatUnits(units, decimals);
}

/**
 * How many base units of a crypto asset buy `fiatAmount` at `price` (fiat per whole unit), exactly:
 * fiat / price scaled to the asset's decimals, rounded up so that the deposit is worth at least the
 * fiat amount. All integer arithmetic; no floating point anywhere.
 */
export function cryptoForFiat(fiatAmount: string, fiatDecimals: number, price: string, assetDecimals: number): bigint {
  const fiat = toBaseUnits(fiatAmount, fiatDecimals);
  const priceDecimals = fractionDigits(price);
  const priceUnits = toBaseUnits(price, priceDecimals);
  if (priceUnits <= 0n) throw new RangeError('the price must be positive');
  const numerator = fiat * 10n ** BigInt(priceDecimals + assetDecimals);
  const denominator = priceUnits * 10n ** BigInt(fiatDecimals);
  return (numerator + denominator - 1n) / denominator;
}
