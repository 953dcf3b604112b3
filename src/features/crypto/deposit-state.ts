export const DEPOSIT_STATUSES = ['awaiting_payment', 'underpaid', 'detected', 'confirmed', 'expired'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

/** How what was received compares with what was asked. */
export const PAYMENT_KINDS = ['none', 'under', 'exact', 'over'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

/** Statuses the follower still works on; `confirmed` and `expired` are final. */
export const OPEN_STATUSES: readonly DepositStatus[] = ['awaiting_payment', 'underpaid', 'detected'];

export interface AssessInput {
  status: DepositStatus;
  /** Base units asked. */
  amount: bigint;
  expiresAt: Date;
  transfers: ReadonlyArray<{ amount: bigint; blockNumber: number; late: boolean }>;
}

export interface ChainView {
  /** The follower's last processed block. */
  tip: number;
  /**
   * The time of the newest block with CRYPTO_CONFIRMATIONS confirmations: every transfer stamped before
   * it is settled, so a deposit whose deadline is older than it can be expired for good.
   */
  settledAt?: Date;
  required: number;
}

export interface Assessment {
  status: DepositStatus;
  received: bigint;
  payment: PaymentKind;
  /** Of the transfer that completed the amount; of the latest transfer while the amount is not reached; 0 without transfers. */
  confirmations: number;
}

/**
 * A deposit's state from its transfers and the chain: paid in full (within the deadline) then confirmed
 * after `required` blocks; expired once its deadline lies before the settled part of the chain without
 * the full amount. Final statuses never change. Pure, so that rollbacks simply recompute it.
 */
export function assess(d: AssessInput, chain: ChainView): Assessment {
  const counted = d.transfers.filter((t) => !t.late).sort((a, b) => a.blockNumber - b.blockNumber);
  let received = 0n;
  let completedAt: number | undefined;
  for (const t of counted) {
    received += t.amount;
    if (completedAt === undefined && received >= d.amount) completedAt = t.blockNumber;
  }
  const payment: PaymentKind =
    received === 0n ? 'none' : received < d.amount ? 'under' : received === d.amount ? 'exact' : 'over';
  const depthOf = (block: number) => Math.max(0, chain.tip - block + 1);
  const confirmations =
    completedAt !== undefined ? depthOf(completedAt) : counted.length > 0 ? depthOf(counted.at(-1)!.blockNumber) : 0;
  if (d.status === 'confirmed' || d.status === 'expired') return { status: d.status, received, payment, confirmations };
  let status: DepositStatus;
  if (completedAt !== undefined) status = confirmations >= chain.required ? 'confirmed' : 'detected';
  else if (chain.settledAt && chain.settledAt.getTime() > d.expiresAt.getTime()) status = 'expired';
  else status = received > 0n ? 'underpaid' : 'awaiting_payment';
  return { status, received, payment, confirmations };
}
