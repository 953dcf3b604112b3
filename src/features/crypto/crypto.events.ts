/**
 * The events the crypto feature publishes: its public contract. Other features import only this file.
 * Every event's aggregateId is the deposit id. Amounts are decimal strings in the asset's base units
 * (wei for ETH, 10^-6 for USDC): use BigInt, never Number.
 */

export const CryptoEvents = {
  /**
   * A transfer to the deposit's address was seen in a block (not yet final: see `rolledBack`). Published
   * once per transfer; `payment` tells whether the deposit is now paid in full, under or over.
   */
  detected: 'crypto.deposit.detected',
  /** The deposit is paid in full and the completing transfer has CRYPTO_CONFIRMATIONS confirmations. Final; once. */
  confirmed: 'crypto.deposit.confirmed',
  /** The deadline passed (and is settled on chain) without the full amount. Final; once. */
  expired: 'crypto.deposit.expired',
  /** A chain reorganisation removed transfers reported by `detected`; the deposit is waiting again. */
  rolledBack: 'crypto.deposit.rolledBack',
} as const;

export type CryptoAsset = 'ETH' | 'USDC';
export type CryptoDepositStatus = 'awaiting_payment' | 'underpaid' | 'detected' | 'confirmed' | 'expired';

/** What every crypto event says about the deposit. */
export interface CryptoDepositSummary {
  depositId: string;
  ownerId: string;
  quoteId: string;
  asset: CryptoAsset;
  /** Checksummed deposit address. */
  address: string;
  /** Base units asked. */
  amount: string;
  /** Base units received within the deadline so far. */
  received: string;
  payment: 'none' | 'under' | 'exact' | 'over';
  status: CryptoDepositStatus;
  confirmations: number;
  fiatAmount: string;
  fiatCurrency: string;
}

export interface CryptoDepositDetectedPayload extends CryptoDepositSummary {
  transfer: { txHash: string; logIndex: number; from: string; amount: string; blockNumber: number; blockHash: string };
}

export interface CryptoDepositConfirmedPayload extends CryptoDepositSummary {
  /** received - amount when overpaid, else "0". */
  excess: string;
  txHashes: string[];
}

export interface CryptoDepositExpiredPayload extends CryptoDepositSummary {
  /** amount - received (the whole amount when nothing came). */
  shortfall: string;
}

export interface CryptoDepositRolledBackPayload extends CryptoDepositSummary {
  /** The transfers that are no longer on the chain. */
  removedTxHashes: string[];
}
