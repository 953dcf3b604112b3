import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model, QueryFilter } from 'mongoose';
import { OwnedRepository, type OwnedDocument, type OwnedFilter, type Owner } from '../../platform/http/index.js';
import { OPEN_STATUSES, type DepositStatus } from './deposit-state.js';
import { DEPOSIT_MODEL, type Deposit, type DepositTransfer } from './schemas/deposit.schema.js';

export type { Deposit, DepositTransfer } from './schemas/deposit.schema.js';
export type DepositDoc = OwnedDocument<Deposit>;

/** Deposits as their owner sees them. */
@Injectable()
export class DepositsRepository extends OwnedRepository<Deposit> {
  constructor(@InjectModel(DEPOSIT_MODEL) deposits: Model<Deposit>) {
    super(deposits);
  }

  /** Newest first: `limit` deposits older than `beforeId`, optionally in one status. */
  page(owner: Owner, query: { status?: DepositStatus; beforeId?: string; limit: number }): Promise<DepositDoc[]> {
    const filter: OwnedFilter<Deposit> = {
      ...(query.status ? { status: query.status } : {}),
      ...(query.beforeId ? { _id: { $lt: query.beforeId } } : {}),
    };
    return this.find(owner, filter, { sort: { _id: -1 }, limit: query.limit });
  }
}

/** The chain follower's unscoped view: it works on every user's open deposits. Never used for a request. */
@Injectable()
export class DepositsSystemRepository {
  constructor(@InjectModel(DEPOSIT_MODEL) private readonly deposits: Model<Deposit>) {}

  /** The addresses to watch, by asset. */
  async watched(): Promise<Array<{ address: string; asset: Deposit['asset'] }>> {
    return this.deposits
      .find({ status: { $in: OPEN_STATUSES } }, { address: 1, asset: 1, _id: 0 })
      .lean<Array<{ address: string; asset: Deposit['asset'] }>>()
      .exec();
  }

  /**
   * The open deposits whose state may change this tick: those at `addresses` (new transfers), those with
   * transfers (confirmations grow), and those past their deadline (they may expire).
   */
  affected(addresses: string[], expiredBefore: Date | undefined, session: ClientSession): Promise<DepositDoc[]> {
    const or: QueryFilter<Deposit>[] = [{ address: { $in: addresses } }, { 'transfers.0': { $exists: true } }];
    if (expiredBefore) or.push({ expiresAt: { $lt: expiredBefore } });
    return this.deposits
      .find({ status: { $in: OPEN_STATUSES }, $or: or })
      .session(session)
      .lean<DepositDoc[]>()
      .exec();
  }

  /** Open deposits holding transfers from blocks above `block` (orphaned by a reorganisation). */
  withTransfersAbove(block: number, session: ClientSession): Promise<DepositDoc[]> {
    return this.deposits
      .find({ status: { $in: OPEN_STATUSES }, 'transfers.blockNumber': { $gt: block } })
      .session(session)
      .lean<DepositDoc[]>()
      .exec();
  }

  /** Final deposits holding transfers above `block`: a reorganisation deeper than the confirmations. */
  finalWithTransfersAbove(block: number): Promise<DepositDoc[]> {
    return this.deposits
      .find({ status: { $nin: OPEN_STATUSES }, 'transfers.blockNumber': { $gt: block } }, { _id: 1, status: 1 })
      .lean<DepositDoc[]>()
      .exec();
  }

  /** Writes the deposit's recomputed fields and transfers, if it is still open. */
  async save(
    id: DepositDoc['_id'],
    set: Partial<Deposit> & { transfers: DepositTransfer[] },
    session: ClientSession,
  ): Promise<void> {
    await this.deposits.updateOne({ _id: id, status: { $in: OPEN_STATUSES } }, { $set: set }, { session }).exec();
  }
}
