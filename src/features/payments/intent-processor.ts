import { Injectable, Logger } from '@nestjs/common';
import { PermanentError } from '../../platform/events/index.js';
import { isOpen } from './payment-status.js';
import { PaymentSync, type PaymentRef } from './payment-sync.service.js';
import { PaymentsRepository, type PaymentDoc } from './payments.repository.js';
import { StripeCardDeclined, StripeRejected } from './stripe/stripe.errors.js';
import { StripeGateway } from './stripe/stripe.gateway.js';

/** Stripe's idempotency key for creating the payment's PaymentIntent: every attempt gets the same intent. */
export const intentKey = (paymentId: string): string => `keel-payment-${paymentId}-intent`;

/** Stripe keeps idempotency keys for 24 hours; after that a retried create could make a second intent. */
const KEY_LIFETIME_MS = 23 * 3600_000;

/** Creates and re-reads PaymentIntents (handlers call it; the bus retries what throws). */
@Injectable()
export class IntentProcessor {
  private readonly logger = new Logger('IntentProcessor');

  constructor(
    private readonly gateway: StripeGateway,
    private readonly payments: PaymentsRepository,
    private readonly sync: PaymentSync,
  ) {}

  /**
   * Creates the PaymentIntent (idempotently) and moves the payment to its status. A declined card or a
   * request Stripe refuses fails the payment at once; Stripe being unavailable throws, to be retried.
   */
  async createIntent(ref: PaymentRef, source = 'intent-created'): Promise<void> {
    const payment = await this.load(ref);
    if (payment.stripePaymentIntentId || payment.status !== 'processing') return;
    try {
      const intent = await this.gateway.createIntent(
        {
          paymentId: ref.paymentId,
          amount: payment.amount,
          currency: payment.currency,
          description: payment.description,
          metadata: payment.metadata ?? {},
          paymentMethod: payment.paymentMethod,
        },
        intentKey(ref.paymentId),
      );
      await this.sync.applyIntent(ref, intent, source);
    } catch (err) {
      if (err instanceof StripeCardDeclined) {
        await this.sync.fail(
          ref,
          { code: err.declineCode ?? err.code ?? 'card_declined', message: err.message },
          err.intent,
          'intent-declined',
        );
      } else if (err instanceof StripeRejected && err.isInvalidRequest) {
        await this.sync.fail(
          ref,
          { code: err.code ?? 'invalid_request', message: err.message },
          undefined,
          'intent-rejected',
        );
      } else {
        throw err;
      }
    }
  }

  /** Re-reads the PaymentIntent of a payment stuck in an open state (a webhook went missing). */
  async reconcile(ref: PaymentRef): Promise<void> {
    const payment = await this.load(ref);
    if (!isOpen(payment.status)) return;
    if (payment.stripePaymentIntentId) {
      await this.sync.applyIntent(
        ref,
        await this.gateway.retrieveIntent(payment.stripePaymentIntentId),
        'reconciliation',
      );
    } else if (Date.now() - (payment.createdAt?.getTime() ?? 0) < KEY_LIFETIME_MS) {
      // The create never got through (its deliveries were dead-lettered): try again under the same key.
      await this.createIntent(ref, 'reconciliation');
    } else {
      this.logger.error(
        `payment ${ref.paymentId} has had no PaymentIntent for over 23 hours; check it in the Stripe Dashboard`,
      );
    }
  }

  private async load(ref: PaymentRef): Promise<PaymentDoc> {
    const payment = await this.payments.findById({ id: ref.ownerId }, ref.paymentId);
    if (!payment) throw new PermanentError(`payment ${ref.paymentId} of ${ref.ownerId} does not exist`);
    return payment;
  }
}
