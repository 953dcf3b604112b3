import { Injectable, Logger } from '@nestjs/common';
import type { ClientSession } from 'mongoose';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher } from '../../platform/events/index.js';
import type { Owner } from '../../platform/http/index.js';
import { canMove, isOpen, statusesBefore, statusOfIntent, type PaymentStatus } from './payment-status.js';
import { PaymentsEvents, type PaymentFailedPayload, type PaymentSucceededPayload } from './payments.events.js';
import { PaymentsRepository, type Payment, type PaymentDoc, type PaymentFailure } from './payments.repository.js';
import type { IntentSnapshot } from './stripe/stripe.snapshots.js';

export interface PaymentRef {
  paymentId: string;
  ownerId: string;
}

/**
 * Applies what Stripe says about a payment, through the state machine: the move (if it is allowed) and
 * the event it causes commit in one transaction, and the update is guarded on the states the move is
 * allowed from, so a duplicate, late or concurrent report changes nothing and publishes nothing.
 */
@Injectable()
export class PaymentSync {
  private readonly logger = new Logger('PaymentSync');

  constructor(
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    private readonly payments: PaymentsRepository,
  ) {}

  /** Moves the payment to what its PaymentIntent's current state means. */
  applyIntent(ref: PaymentRef, intent: IntentSnapshot, source: string): Promise<PaymentDoc | null> {
    const target = statusOfIntent(intent);
    const failure =
      target === 'failed'
        ? { code: intent.lastError?.declineCode ?? intent.lastError?.code, message: intent.lastError?.message }
        : target === 'canceled'
          ? { code: intent.cancellationReason ?? 'canceled' }
          : undefined;
    return this.apply(ref, target, { intent, failure }, source);
  }

  /** Fails the payment for a reason Stripe gave without (or besides) an intent: a decline, a refusal. */
  fail(
    ref: PaymentRef,
    failure: PaymentFailure,
    intent: IntentSnapshot | undefined,
    source: string,
  ): Promise<PaymentDoc | null> {
    return this.apply(ref, 'failed', { intent, failure }, source);
  }

  private apply(
    ref: PaymentRef,
    target: PaymentStatus,
    facts: { intent?: IntentSnapshot; failure?: PaymentFailure },
    source: string,
  ): Promise<PaymentDoc | null> {
    const owner: Owner = { id: ref.ownerId };
    return this.tx.run(async (session) => {
      const payment = await this.payments.read(owner, ref.paymentId, session);
      if (!payment) {
        this.logger.warn(`payment ${ref.paymentId} not found (${source})`);
        return null;
      }
      const set: Partial<Payment> = {};
      if (facts.intent && !payment.stripePaymentIntentId) set.stripePaymentIntentId = facts.intent.id;
      if (facts.intent?.clientSecret && !payment.clientSecret) set.clientSecret = facts.intent.clientSecret;
      if (!canMove(payment.status, target)) {
        return Object.keys(set).length > 0 ? this.payments.noteIntent(owner, ref.paymentId, set, session) : payment;
      }
      if (facts.failure && (target === 'failed' || target === 'canceled')) set.failure = facts.failure;
      const moved = await this.payments.transition(
        owner,
        ref.paymentId,
        statusesBefore(target),
        { status: target, at: new Date(), source },
        set,
        session,
      );
      if (moved) await this.announce(payment.status, moved, session);
      return moved;
    });
  }

  private async announce(from: PaymentStatus, payment: PaymentDoc, session: ClientSession): Promise<void> {
    const base = {
      paymentId: String(payment._id),
      ownerId: payment.ownerId,
      amount: payment.amount,
      currency: payment.currency,
    };
    if (payment.status === 'succeeded') {
      await this.publisher.publish<PaymentSucceededPayload, string>(session, {
        type: PaymentsEvents.succeeded,
        aggregateId: base.paymentId,
        payload: { ...base, stripePaymentIntentId: payment.stripePaymentIntentId ?? '' },
      });
    } else if ((payment.status === 'failed' || payment.status === 'canceled') && isOpen(from)) {
      await this.publisher.publish<PaymentFailedPayload, string>(session, {
        type: PaymentsEvents.failed,
        aggregateId: base.paymentId,
        payload: {
          ...base,
          status: payment.status,
          reason: payment.failure?.code,
          message: payment.failure?.message,
          stripePaymentIntentId: payment.stripePaymentIntentId,
        },
      });
    }
  }
}
