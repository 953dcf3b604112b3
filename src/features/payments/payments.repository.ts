import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model, QueryFilter, UpdateQuery } from 'mongoose';
import {
  OwnedRepository,
  type NewOwned,
  type OwnedDocument,
  type OwnedFilter,
  type Owner,
} from '../../platform/http/index.js';
import type { OpenStatus, PaymentStatus } from './payment-status.js';
import { PAYMENT_MODEL, type Payment, type PaymentTransition } from './schemas/payment.schema.js';

export type { Payment, PaymentFailure } from './schemas/payment.schema.js';
export type PaymentDoc = OwnedDocument<Payment>;

export interface PageQuery {
  status?: PaymentStatus;
  /** Only payments older than this id (the cursor). */
  beforeId?: string;
  limit: number;
}

/** Payments, always scoped to their owner (callers answer 404 for anyone else's). */
@Injectable()
export class PaymentsRepository extends OwnedRepository<Payment> {
  constructor(@InjectModel(PAYMENT_MODEL) private readonly payments: Model<Payment>) {
    super(payments);
  }

  /** A new payment: the service builds the whole document, so it skips Mongoose's document layer. */
  /** New payments, each with its owner, in one write (PaymentIntake's group commit). */
  insertAll(
    items: ReadonlyArray<{ owner: Owner; data: NewOwned<Payment> }>,
    session: ClientSession,
  ): Promise<PaymentDoc[]> {
    return this.insertCompleteMany(items, { session });
  }

  /** Newest first, `limit` of them. */
  page(owner: Owner, query: PageQuery): Promise<PaymentDoc[]> {
    const filter: OwnedFilter<Payment> = {
      ...(query.status ? { status: query.status } : {}),
      ...(query.beforeId ? { _id: { $lt: query.beforeId } } : {}),
    };
    return this.find(owner, filter, { sort: { _id: -1 }, limit: query.limit });
  }

  /** The payment as this transaction sees it. */
  read(owner: Owner, id: string, session: ClientSession): Promise<PaymentDoc | null> {
    return this.payments
      .findOne(this.scope(owner, { _id: id }))
      .session(session)
      .lean<PaymentDoc>()
      .exec();
  }

  /**
   * Moves the payment to `to` if it is still in one of `from` (the state machine's guard), recording the
   * transition. Returns the new version, or null when the guard did not hold.
   */
  transition(
    owner: Owner,
    id: string,
    from: PaymentStatus[],
    to: PaymentTransition,
    set: Partial<Payment>,
    session: ClientSession,
  ): Promise<PaymentDoc | null> {
    const update: UpdateQuery<Payment> = {
      $set: { ...set, status: to.status, checkedAt: to.at },
      $push: { history: to },
    };
    return this.update(owner, { _id: id, status: { $in: from } }, update, session);
  }

  /** Fills in what keel learned about the PaymentIntent without changing the status. */
  noteIntent(owner: Owner, id: string, set: Partial<Payment>, session: ClientSession): Promise<PaymentDoc | null> {
    return this.update(owner, { _id: id }, { $set: { ...set, checkedAt: new Date() } }, session);
  }

  /** Reserves `amount` for a refund if the payment succeeded and that much is still refundable. */
  reserveRefund(owner: Owner, id: string, amount: number, session: ClientSession): Promise<PaymentDoc | null> {
    const fits = { $lte: [{ $add: ['$amountRefunded', '$amountRefunding', amount] }, '$amount'] };
    return this.update(
      owner,
      { _id: id, status: 'succeeded', $expr: fits },
      { $inc: { amountRefunding: amount } },
      session,
    );
  }

  /** Moves `amount` out of the reservation: into amountRefunded when the refund succeeded. */
  settleRefund(
    owner: Owner,
    id: string,
    amount: number,
    succeeded: boolean,
    session: ClientSession,
  ): Promise<PaymentDoc | null> {
    const inc = succeeded ? { amountRefunding: -amount, amountRefunded: amount } : { amountRefunding: -amount };
    return this.update(owner, { _id: id }, { $inc: inc }, session);
  }

  /** Counts a refund keel did not request (made in the Dashboard) as refunded. */
  addExternalRefund(owner: Owner, id: string, amount: number, session: ClientSession): Promise<PaymentDoc | null> {
    return this.update(owner, { _id: id }, { $inc: { amountRefunded: amount } }, session);
  }

  private update(
    owner: Owner,
    filter: OwnedFilter<Payment>,
    update: UpdateQuery<Payment>,
    session: ClientSession,
  ): Promise<PaymentDoc | null> {
    return this.payments
      .findOneAndUpdate(this.scope(owner, filter), update, { returnDocument: 'after', session })
      .lean<PaymentDoc>()
      .exec();
  }
}

/**
 * The few unscoped queries keel's own processes need (a webhook names a PaymentIntent, not a user; the
 * reconciliation cron looks at everyone's stuck payments). Never used for a request.
 */
@Injectable()
export class PaymentsSystemRepository {
  constructor(@InjectModel(PAYMENT_MODEL) private readonly payments: Model<Payment>) {}

  /** The owner of a payment, found by our id or by its PaymentIntent id. */
  async ownerOf(ref: {
    paymentId?: string;
    intentId?: string;
  }): Promise<{ paymentId: string; ownerId: string } | null> {
    const filters: QueryFilter<Payment>[] = [];
    if (ref.paymentId && /^[0-9a-f]{24}$/.test(ref.paymentId)) filters.push({ _id: ref.paymentId });
    if (ref.intentId) filters.push({ stripePaymentIntentId: ref.intentId });
    for (const filter of filters) {
      const found = await this.payments.findOne(filter, { ownerId: 1 }).lean().exec();
      if (found) return { paymentId: String(found._id), ownerId: found.ownerId };
    }
    return null;
  }

  /** Payments in one of `statuses` (open ones) that nobody looked at since `before`, oldest first. */
  async stale(
    statuses: readonly OpenStatus[],
    before: Date,
    limit: number,
  ): Promise<Array<{ paymentId: string; ownerId: string; checkedAt: Date }>> {
    const docs = await this.payments
      .find({ status: { $in: [...statuses] }, checkedAt: { $lt: before } }, { ownerId: 1, checkedAt: 1 })
      .sort({ checkedAt: 1 })
      .limit(limit)
      .lean()
      .exec();
    return docs.map((d) => ({ paymentId: String(d._id), ownerId: d.ownerId, checkedAt: d.checkedAt }));
  }

  /** Claims a stale payment for one reconciliation: false if another tick or an update got there first. */
  async claim(paymentId: string, seenCheckedAt: Date, now: Date, session: ClientSession): Promise<boolean> {
    const res = await this.payments
      .updateOne({ _id: paymentId, checkedAt: seenCheckedAt }, { $set: { checkedAt: now } }, { session })
      .exec();
    return res.modifiedCount === 1;
  }
}
