import { Injectable, Logger } from '@nestjs/common';
import { PermanentError } from '../../platform/events/index.js';
import { isFinalAtStripe } from './payment-status.js';
import { PaymentSync } from './payment-sync.service.js';
import { PaymentsSystemRepository } from './payments.repository.js';
import { RefundProcessor } from './refund-processor.js';
import { StripeEventsRepository } from './stripe-events.repository.js';
import { StripeGateway } from './stripe/stripe.gateway.js';
import { PAYMENT_ID_KEY, intentIdOfEventObject, toIntentSnapshot } from './stripe/stripe.snapshots.js';

export const HANDLED_STRIPE_EVENTS = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.refunded',
] as const;

/**
 * Processes a stored Stripe event. Events may come twice or out of order, so nothing here trusts an
 * event to be the latest word: the state machine ignores moves backwards, and whenever an event could
 * be stale (a failure the customer may have retried since, a refund list the event does not carry) the
 * current object is fetched from Stripe instead.
 */
@Injectable()
export class WebhookProcessor {
  private readonly logger = new Logger('StripeWebhooks');

  constructor(
    private readonly events: StripeEventsRepository,
    private readonly payments: PaymentsSystemRepository,
    private readonly gateway: StripeGateway,
    private readonly sync: PaymentSync,
    private readonly refunds: RefundProcessor,
  ) {}

  async process(stripeEventId: string): Promise<void> {
    const record = await this.events.find(stripeEventId);
    if (!record) throw new PermanentError(`Stripe event ${stripeEventId} is not stored`);
    const object = (JSON.parse(record.raw) as { data?: { object?: Record<string, any> } }).data?.object ?? {};
    const source = `webhook:${stripeEventId}`;
    if ((HANDLED_STRIPE_EVENTS as readonly string[]).includes(record.type)) {
      const intentId = intentIdOfEventObject(object);
      const ref = await this.payments.ownerOf({ paymentId: object.metadata?.[PAYMENT_ID_KEY], intentId });
      if (!ref || !intentId) {
        this.logger.log(
          `${record.type} ${stripeEventId} is about no keel payment (PaymentIntent ${intentId ?? 'none'}): ignored`,
        );
      } else if (record.type === 'charge.refunded') {
        await this.refunds.syncAll(ref, source);
      } else {
        const reported = toIntentSnapshot(object);
        const current = isFinalAtStripe(reported.status) ? reported : await this.gateway.retrieveIntent(intentId);
        await this.sync.applyIntent(ref, current, source);
      }
    }
    await this.events.markProcessed(stripeEventId);
  }
}
