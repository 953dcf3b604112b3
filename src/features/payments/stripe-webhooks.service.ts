import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher } from '../../platform/events/index.js';
import { ProblemException } from '../../platform/http/index.js';
import { PaymentsWork, type WebhookReceivedPayload } from './payments.events.js';
import { StripeEventsRepository } from './stripe-events.repository.js';
import { StripeSignatureInvalid } from './stripe/stripe.errors.js';
import { StripeGateway } from './stripe/stripe.gateway.js';

export interface WebhookReceipt {
  id: string;
  duplicate: boolean;
}

/**
 * Receives Stripe webhooks: checks the signature on the exact bytes, then stores the event under its
 * Stripe id and queues its processing in one transaction, before Stripe gets its 2xx. A redelivered event
 * is acknowledged and nothing else happens.
 */
@Injectable()
export class StripeWebhooksService {
  constructor(
    private readonly gateway: StripeGateway,
    private readonly events: StripeEventsRepository,
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookReceipt> {
    if (!rawBody || rawBody.length === 0) {
      throw ProblemException.validation([{ field: 'body', message: 'a Stripe event (JSON) is required' }]);
    }
    let event;
    try {
      event = await this.gateway.verifyWebhook(rawBody, signature);
    } catch (err) {
      if (!(err instanceof StripeSignatureInvalid)) throw err;
      throw ProblemException.validation(
        [{ field: 'Stripe-Signature', message: err.message }],
        'The Stripe-Signature header does not verify against this body and STRIPE_WEBHOOK_SECRET within the tolerance.',
      );
    }
    try {
      const stored = await this.tx.run(async (session) => {
        if (!(await this.events.insert(event, session))) return false;
        await this.publisher.publish<WebhookReceivedPayload, string>(session, {
          type: PaymentsWork.webhookReceived,
          aggregateId: event.id,
          payload: { stripeEventId: event.id, type: event.type },
        });
        return true;
      });
      return { id: event.id, duplicate: !stored };
    } catch (err) {
      // The same event delivered twice at once: the other delivery stored it.
      if ((err as { code?: number }).code === 11000) return { id: event.id, duplicate: true };
      throw err;
    }
  }
}
