/** The feed answered that it has no price for this pair (a 4xx): the request, not the feed, is at fault. */
export class UnknownPairError extends Error {
  override readonly name = 'UnknownPairError';
}

/**
 * A spot price source: the price of one whole unit of `asset` in `currency`, as an exact decimal string
 * ("3120.55"). Implemented for Coinbase's API in coinbase/. Outages (network errors, timeouts, 5xx, 429,
 * a malformed answer) reject with any other error.
 */
export abstract class PriceFeed {
  abstract spot(asset: string, currency: string): Promise<string>;
}
