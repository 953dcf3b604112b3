import { Injectable, Logger } from '@nestjs/common';
import type { ClientSession } from 'mongoose';
import { EventPublisher, type EventDraft } from '../../platform/events/index.js';
import type { ChainTransfer } from './chain-gateway.js';
import { CryptoEvents, type CryptoDepositSummary } from './crypto.events.js';
import { CryptoSettings } from './crypto.settings.js';
import { assess, type Assessment, type ChainView } from './deposit-state.js';
import { DepositsSystemRepository, type DepositDoc, type DepositTransfer } from './deposits.repository.js';
import { checksummed } from './viem/addresses.js';

export interface ScanOutcome {
  transfers: ChainTransfer[];
  /** Seconds-since-epoch time of each scanned block, by number. */
  blockTimes: Map<number, number>;
  chain: Omit<ChainView, 'required'>;
}

/**
 * Applies what the follower saw to the deposits, inside the follower's transaction: new transfers,
 * recomputed status and confirmations, and the events for each change (published in the same transaction).
 */
@Injectable()
export class DepositLedger {
  private readonly logger = new Logger('CryptoDeposits');

  constructor(
    private readonly deposits: DepositsSystemRepository,
    private readonly publisher: EventPublisher,
    private readonly settings: CryptoSettings,
  ) {}

  /** Returns how many new transfers were counted. */
  async apply(scan: ScanOutcome, session: ClientSession): Promise<number> {
    const chain: ChainView = { ...scan.chain, required: this.settings.confirmations };
    const byAddress = new Map<string, ChainTransfer[]>();
    for (const t of scan.transfers) byAddress.set(t.to, [...(byAddress.get(t.to) ?? []), t]);
    const events: EventDraft[] = [];
    let counted = 0;
    for (const doc of await this.deposits.affected([...byAddress.keys()], chain.settledAt, session)) {
      const known = new Set(doc.transfers.map((t) => t.id));
      const added: DepositTransfer[] = (byAddress.get(doc.address) ?? [])
        .filter(
          (t) => (doc.asset === 'ETH' ? !t.token : t.token === doc.token) && !known.has(`${t.txHash}:${t.logIndex}`),
        )
        .map((t) => {
          const at = new Date((scan.blockTimes.get(t.blockNumber) ?? 0) * 1000);
          const { token: _token, to: _to, amount, ...rest } = t;
          return {
            ...rest,
            id: `${t.txHash}:${t.logIndex}`,
            amount: amount.toString(),
            at,
            late: at.getTime() > doc.expiresAt.getTime(),
          };
        });
      const transfers = [...doc.transfers, ...added];
      const next = assess(inputOf(doc, transfers), chain);
      if (added.length === 0 && next.status === doc.status && next.confirmations === doc.confirmations) continue;
      await this.deposits.save(doc._id, { transfers, ...fieldsOf(doc, next) }, session);
      const summary = summaryOf(doc, next);
      for (const t of added.filter((x) => !x.late)) {
        counted++;
        const { id: _id, at: _at, late: _late, ...transfer } = t;
        events.push(draft(CryptoEvents.detected, summary, { transfer }));
      }
      if (next.status !== doc.status && next.status === 'confirmed') {
        const excess = next.received - BigInt(doc.amount);
        const txHashes = [...new Set(transfers.filter((t) => !t.late).map((t) => t.txHash))];
        events.push(
          draft(CryptoEvents.confirmed, summary, { excess: (excess > 0n ? excess : 0n).toString(), txHashes }),
        );
      }
      if (next.status !== doc.status && next.status === 'expired') {
        events.push(
          draft(CryptoEvents.expired, summary, { shortfall: (BigInt(doc.amount) - next.received).toString() }),
        );
      }
    }
    if (events.length > 0) await this.publisher.publish(session, events);
    return counted;
  }

  /** Drops transfers from blocks above `ancestor` (a reorganisation orphaned them) and re-assesses. */
  async rollback(ancestor: number, session: ClientSession): Promise<number> {
    const chain: ChainView = { tip: ancestor, required: this.settings.confirmations };
    const events: EventDraft[] = [];
    for (const doc of await this.deposits.withTransfersAbove(ancestor, session)) {
      const removed = doc.transfers.filter((t) => t.blockNumber > ancestor);
      const transfers = doc.transfers.filter((t) => t.blockNumber <= ancestor);
      const next = assess(inputOf(doc, transfers), chain);
      await this.deposits.save(doc._id, { transfers, ...fieldsOf(doc, next) }, session);
      events.push(
        draft(CryptoEvents.rolledBack, summaryOf(doc, next), {
          removedTxHashes: [...new Set(removed.map((t) => t.txHash))],
        }),
      );
    }
    for (const doc of await this.deposits.finalWithTransfersAbove(ancestor)) {
      this.logger.error(
        `reorganisation below block ${ancestor + 1} removed transfers of deposit ${String(doc._id)}, already ${doc.status}: ` +
          'deeper than CRYPTO_CONFIRMATIONS; check it by hand',
      );
    }
    if (events.length > 0) await this.publisher.publish(session, events);
    return events.length;
  }
}

function inputOf(doc: DepositDoc, transfers: DepositTransfer[]) {
  return {
    status: doc.status,
    amount: BigInt(doc.amount),
    expiresAt: doc.expiresAt,
    transfers: transfers.map((t) => ({ amount: BigInt(t.amount), blockNumber: t.blockNumber, late: t.late })),
  };
}

function fieldsOf(doc: DepositDoc, next: Assessment) {
  const now = new Date();
  return {
    status: next.status,
    received: next.received.toString(),
    payment: next.payment,
    confirmations: next.confirmations,
    ...(next.status === 'confirmed' && doc.status !== 'confirmed' ? { confirmedAt: now } : {}),
    ...(next.status === 'expired' && doc.status !== 'expired' ? { expiredAt: now } : {}),
  };
}

function summaryOf(doc: DepositDoc, next: Assessment): CryptoDepositSummary {
  return {
    depositId: doc._id.toHexString(),
    ownerId: doc.ownerId,
    quoteId: doc.quoteId,
    asset: doc.asset,
    address: checksummed(doc.address) ?? doc.address,
    amount: doc.amount,
    received: next.received.toString(),
    payment: next.payment,
    status: next.status,
    confirmations: next.confirmations,
    fiatAmount: doc.fiatAmount,
    fiatCurrency: doc.fiatCurrency,
  };
}

function draft(type: string, summary: CryptoDepositSummary, extra: object): EventDraft {
  return { type, aggregateId: summary.depositId, payload: { ...summary, ...extra } };
}
