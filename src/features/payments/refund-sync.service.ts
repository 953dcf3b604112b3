import { Injectable, Logger } from '@nestjs/common';
import type { ClientSession } from 'mongoose';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher } from '../../platform/events/index.js';
import type { Owner } from '../../platform/http/index.js';
import { PaymentsEvents, type PaymentRefundedPayload } from './payments.events.js';
import { PaymentsRepository } from './payments.repository.js';
import type { PaymentRef } from './payment-sync.service.js';
import { RefundsRepository, type RefundDoc } from './refunds.repository.js';
import type { RefundStatus } from './refund-status.js';
import type { RefundSnapshot } from './stripe/stripe.snapshots.js';

const RANK: Record<RefundStatus, number> = {
  requested: 0,
  pending: 1,
  requires_action: 1,
  succeeded: 2,
  failed: 2,
  canceled: 2,
};

function statusOf(refund: RefundSnapshot): RefundStatus {
  return refund.status in RANK && refund.status !== 'requested' ? (refund.status as RefundStatus) : 'pending';
}

/**
 * Applies Stripe's view of a refund. A refund only moves forward (requested → pending → succeeded,
 * failed or canceled); reaching succeeded moves its amount from the payment's reservation to
 * amountRefunded, marks the payment refunded once nothing is left, and publishes
 * payments.payment.refunded, all in one transaction.
 */
@Injectable()
export class RefundSync {
  private readonly logger = new Logger('RefundSync');

  constructor(
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
  ) {}

  apply(ref: PaymentRef, snapshot: RefundSnapshot, source: string): Promise<RefundDoc | null> {
    const owner: Owner = { id: ref.ownerId };
    return this.tx.run(async (session) => {
      const known =
        (snapshot.refundId ? await this.refunds.read(owner, snapshot.refundId, session) : null) ??
        (await this.refunds.readByStripeId(owner, snapshot.id, session));
      const refund = known ?? (await this.recordExternal(owner, ref, snapshot, session));
      if (!refund) return null;
      const set = { stripeRefundId: snapshot.id, failureReason: snapshot.failureReason };
      return this.move(owner, refund, statusOf(snapshot), set, source, session);
    });
  }

  /** Stripe refused to make the refund (e.g. the charge was refunded elsewhere meanwhile): it failed. */
  reject(ref: PaymentRef, refundId: string, reason: string, source: string): Promise<RefundDoc | null> {
    const owner: Owner = { id: ref.ownerId };
    return this.tx.run(async (session) => {
      const refund = await this.refunds.read(owner, refundId, session);
      return refund && this.move(owner, refund, 'failed', { failureReason: reason }, source, session);
    });
  }

  private async move(
    owner: Owner,
    refund: RefundDoc,
    target: RefundStatus,
    set: { stripeRefundId?: string; failureReason?: string },
    source: string,
    session: ClientSession,
  ): Promise<RefundDoc> {
    if (RANK[target] < RANK[refund.status] || (target === refund.status && refund.stripeRefundId)) return refund;
    // Guarded on the earlier states, so that of two concurrent reports only one moves the refund.
    const from = (Object.keys(RANK) as RefundStatus[]).filter(
      (s) => RANK[s] < 2 && s !== target && RANK[s] <= RANK[target],
    );
    const moved = await this.refunds.transition(owner, String(refund._id), from, { ...set, status: target }, session);
    if (!moved) return refund;
    if (RANK[target] === 2) await this.settle(owner, moved, target === 'succeeded', source, session);
    return moved;
  }

  /** A refund made outside keel (the Dashboard): recorded so the payment's refunded amount stays right. */
  private async recordExternal(
    owner: Owner,
    ref: PaymentRef,
    snapshot: RefundSnapshot,
    session: ClientSession,
  ): Promise<RefundDoc | null> {
    const payment = await this.payments.read(owner, ref.paymentId, session);
    if (!payment) {
      this.logger.warn(`refund ${snapshot.id}: payment ${ref.paymentId} not found`);
      return null;
    }
    return this.refunds.create(
      owner,
      {
        paymentId: ref.paymentId,
        amount: snapshot.amount,
        currency: payment.currency,
        status: 'requested',
        origin: 'stripe',
        // Set now, so that the unique index stops a concurrent sync from recording the same refund twice.
        stripeRefundId: snapshot.id,
        checkedAt: new Date(),
      },
      { session },
    );
  }

  private async settle(
    owner: Owner,
    refund: RefundDoc,
    succeeded: boolean,
    source: string,
    session: ClientSession,
  ): Promise<void> {
    const paymentId = refund.paymentId;
    const payment =
      refund.origin === 'keel'
        ? await this.payments.settleRefund(owner, paymentId, refund.amount, succeeded, session)
        : succeeded
          ? await this.payments.addExternalRefund(owner, paymentId, refund.amount, session)
          : null;
    if (!payment || !succeeded) return;
    const fullyRefunded = payment.amountRefunded >= payment.amount;
    if (fullyRefunded) {
      await this.payments.transition(
        owner,
        paymentId,
        ['succeeded'],
        { status: 'refunded', at: new Date(), source },
        {},
        session,
      );
    }
    await this.publisher.publish<PaymentRefundedPayload, string>(session, {
      type: PaymentsEvents.refunded,
      aggregateId: paymentId,
      payload: {
        paymentId,
        ownerId: owner.id,
        refundId: String(refund._id),
        stripeRefundId: refund.stripeRefundId ?? '',
        amount: refund.amount,
        currency: refund.currency,
        amountRefunded: payment.amountRefunded,
        fullyRefunded,
      },
    });
  }
}
