import { ProblemException } from '../../platform/http/index.js';
import type { Asset } from './crypto.settings.js';
import type { DepositDoc } from './deposits.repository.js';
import type { DepositDto } from './dto/deposit.dto.js';
import type { QuoteDto } from './dto/quote.dto.js';
import type { QuoteDoc } from './quotes.repository.js';
import { checksummed } from './viem/addresses.js';
import { fromBaseUnits } from './viem/amounts.js';

export const DECIMALS: Record<Asset, number> = { ETH: 18, USDC: 6 };

export function toQuoteDto(q: QuoteDoc): QuoteDto {
  return {
    id: q._id.toHexString(),
    asset: q.asset,
    fiatAmount: q.fiatAmount,
    fiatCurrency: q.fiatCurrency,
    cryptoAmount: fromBaseUnits(BigInt(q.amount), DECIMALS[q.asset]),
    cryptoAmountBaseUnits: q.amount,
    rate: q.rate,
    rateAt: q.rateAt.toISOString(),
    expiresAt: q.expiresAt.toISOString(),
  };
}

/** `tip`: the follower's last processed block, for each transfer's confirmations. */
export function toDepositDto(d: DepositDoc, tip: number, required: number): DepositDto {
  const units = (v: string) => fromBaseUnits(BigInt(v), DECIMALS[d.asset]);
  return {
    id: d._id.toHexString(),
    quoteId: d.quoteId,
    address: checksummed(d.address) ?? d.address,
    asset: d.asset,
    ...(d.token ? { tokenAddress: checksummed(d.token) ?? d.token } : {}),
    amount: units(d.amount),
    status: d.status,
    received: units(d.received),
    payment: d.payment,
    confirmations: d.confirmations,
    requiredConfirmations: required,
    transfers: (d.transfers ?? []).map((t) => ({
      txHash: t.txHash,
      logIndex: t.logIndex,
      from: checksummed(t.from) ?? t.from,
      amount: units(t.amount),
      blockNumber: t.blockNumber,
      confirmations: Math.max(0, tip - t.blockNumber + 1),
      late: t.late,
    })),
    fiatAmount: d.fiatAmount,
    fiatCurrency: d.fiatCurrency,
    rate: d.rate,
    expiresAt: d.expiresAt.toISOString(),
    ...(d.confirmedAt ? { confirmedAt: d.confirmedAt.toISOString() } : {}),
    ...(d.expiredAt ? { expiredAt: d.expiredAt.toISOString() } : {}),
    createdAt: (d.createdAt ?? new Date(0)).toISOString(),
  };
}

/** Cursors are opaque to clients: the last id of a page, base64url-encoded. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`d:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = /^d:([0-9a-f]{24})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1];
  if (!id) throw ProblemException.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
  return id;
}
