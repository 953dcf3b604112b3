import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import { OwnedRepository, type OwnedDocument, type Owner } from '../../platform/http/index.js';
import type { RefundStatus } from './refund-status.js';
import { REFUND_MODEL, type Refund } from './schemas/refund.schema.js';

export type RefundDoc = OwnedDocument<Refund>;

/** Refunds, scoped to the owner of their payment. */
@Injectable()
export class RefundsRepository extends OwnedRepository<Refund> {
  constructor(@InjectModel(REFUND_MODEL) private readonly refunds: Model<Refund>) {
    super(refunds);
  }

  read(owner: Owner, id: string, session: ClientSession): Promise<RefundDoc | null> {
    return this.refunds
      .findOne(this.scope(owner, { _id: id }))
      .session(session)
      .lean<RefundDoc>()
      .exec();
  }

  readByStripeId(owner: Owner, stripeRefundId: string, session: ClientSession): Promise<RefundDoc | null> {
    return this.refunds.findOne(this.scope(owner, { stripeRefundId })).session(session).lean<RefundDoc>().exec();
  }

  forPayment(owner: Owner, paymentId: string): Promise<RefundDoc[]> {
    return this.find(owner, { paymentId }, { sort: { _id: -1 }, limit: 100 });
  }

  /** Applies Stripe's view if the refund is still in one of `from`; null when the guard did not hold. */
  transition(
    owner: Owner,
    id: string,
    from: RefundStatus[],
    set: Partial<Refund>,
    session: ClientSession,
  ): Promise<RefundDoc | null> {
    return this.refunds
      .findOneAndUpdate(
        this.scope(owner, { _id: id, status: { $in: from } }),
        { $set: { ...set, checkedAt: new Date() } },
        { returnDocument: 'after', session },
      )
      .lean<RefundDoc>()
      .exec();
  }
}

/** Refunds keel requested that Stripe has not settled, across owners, for reconciliation. */
@Injectable()
export class RefundsSystemRepository {
  constructor(@InjectModel(REFUND_MODEL) private readonly refunds: Model<Refund>) {}

  /** Refunds in one of `statuses` (unsettled ones) that nobody looked at since `before`, oldest first. */
  async stale(
    statuses: readonly RefundStatus[],
    before: Date,
    limit: number,
  ): Promise<Array<{ refundId: string; paymentId: string; ownerId: string; checkedAt: Date }>> {
    const docs = await this.refunds
      .find({ status: { $in: [...statuses] }, checkedAt: { $lt: before } }, { ownerId: 1, paymentId: 1, checkedAt: 1 })
      .sort({ checkedAt: 1 })
      .limit(limit)
      .lean()
      .exec();
    return docs.map((d) => ({
      refundId: String(d._id),
      paymentId: d.paymentId,
      ownerId: d.ownerId,
      checkedAt: d.checkedAt,
    }));
  }

  async claim(refundId: string, seenCheckedAt: Date, now: Date, session: ClientSession): Promise<boolean> {
    const res = await this.refunds
      .updateOne({ _id: refundId, checkedAt: seenCheckedAt }, { $set: { checkedAt: now } }, { session })
      .exec();
    return res.modifiedCount === 1;
  }
}
