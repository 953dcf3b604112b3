import { Injectable } from '@nestjs/common';
import { PermanentError } from '../../platform/events/index.js';
import type { PaymentRef } from './payment-sync.service.js';
import { PaymentsRepository } from './payments.repository.js';
import { RefundSync } from './refund-sync.service.js';
import { RefundsRepository } from './refunds.repository.js';
import { StripeRejected } from './stripe/stripe.errors.js';
import { StripeGateway } from './stripe/stripe.gateway.js';

/** Stripe's idempotency key for a refund keel requested: retries never refund twice. */
export const refundKey = (refundId: string): string => `keel-refund-${refundId}`;

/** Makes refunds at Stripe and reads them back. */
@Injectable()
export class RefundProcessor {
  constructor(
    private readonly gateway: StripeGateway,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
    private readonly sync: RefundSync,
  ) {}

  /** Asks Stripe for the refund (idempotently) and applies the answer. */
  async refund(ref: PaymentRef, refundId: string, source = 'refund-created'): Promise<void> {
    const owner = { id: ref.ownerId };
    const [refund, payment] = await Promise.all([
      this.refunds.findById(owner, refundId),
      this.payments.findById(owner, ref.paymentId),
    ]);
    if (!refund || !payment?.stripePaymentIntentId)
      throw new PermanentError(`refund ${refundId} of payment ${ref.paymentId} cannot be made`);
    if (refund.status !== 'requested') return;
    try {
      const made = await this.gateway.createRefund(
        { refundId, paymentIntentId: payment.stripePaymentIntentId, amount: refund.amount },
        refundKey(refundId),
      );
      await this.sync.apply(ref, made, source);
    } catch (err) {
      if (!(err instanceof StripeRejected && err.isInvalidRequest)) throw err;
      await this.sync.reject(ref, refundId, err.code ?? err.message, 'refund-rejected');
    }
  }

  /** Reads every refund of the payment from Stripe (a charge.refunded event does not list them). */
  async syncAll(ref: PaymentRef, source: string): Promise<void> {
    const payment = await this.payments.findById({ id: ref.ownerId }, ref.paymentId);
    if (!payment?.stripePaymentIntentId) return;
    // Oldest first, so refunds settle in the order they were made.
    for (const refund of (await this.gateway.listRefunds(payment.stripePaymentIntentId)).reverse()) {
      await this.sync.apply(ref, refund, source);
    }
  }

  /** A refund that has not settled for a while: ask again (requested) or read it back (pending). */
  async reconcile(ref: PaymentRef, refundId: string): Promise<void> {
    const refund = await this.refunds.findById({ id: ref.ownerId }, refundId);
    if (!refund) return;
    if (refund.status === 'requested') await this.refund(ref, refundId, 'reconciliation');
    else if (refund.status === 'pending' || refund.status === 'requires_action')
      await this.syncAll(ref, 'reconciliation');
  }
}
