import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { routesFor, type AppRole } from '../../config/index.js';
import { IntentProcessor } from './intent-processor.js';
import { PaymentSync } from './payment-sync.service.js';
import { PaymentsController } from './payments.controller.js';
import { PaymentsHandlers } from './payments.handlers.js';
import { PaymentsRepository, PaymentsSystemRepository } from './payments.repository.js';
import { PaymentIntake } from './payment-intake.js';
import { PaymentsService } from './payments.service.js';
import { PaymentsSettings } from './payments.settings.js';
import { RefundProcessor } from './refund-processor.js';
import { RefundSync } from './refund-sync.service.js';
import { RefundsRepository, RefundsSystemRepository } from './refunds.repository.js';
import { PAYMENT_MODEL, PaymentSchema } from './schemas/payment.schema.js';
import { REFUND_MODEL, RefundSchema } from './schemas/refund.schema.js';
import { STRIPE_EVENT_MODEL, StripeEventSchema } from './schemas/stripe-event.schema.js';
import { StripeConfiguredGuard } from './stripe-configured.guard.js';
import { StripeEventsRepository } from './stripe-events.repository.js';
import { StripeWebhookController } from './stripe-webhook.controller.js';
import { StripeWebhooksService } from './stripe-webhooks.service.js';
import { StripeGateway } from './stripe/stripe.gateway.js';
import { WebhookProcessor } from './webhook-processor.js';

/** Payments through Stripe: /v1/payments for clients, /v1/webhooks/stripe for Stripe (README "Payments"). */
@Module({})
export class PaymentsModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: PaymentsModule,
      imports: [
        MongooseModule.forFeature([
          { name: PAYMENT_MODEL, schema: PaymentSchema },
          { name: REFUND_MODEL, schema: RefundSchema },
          { name: STRIPE_EVENT_MODEL, schema: StripeEventSchema },
        ]),
        RouterModule.register([{ path: 'v1', module: PaymentsModule }]),
      ],
      controllers: routesFor(role, [PaymentsController, StripeWebhookController]),
      providers: [
        PaymentsSettings,
        StripeGateway,
        StripeConfiguredGuard,
        PaymentsRepository,
        PaymentsSystemRepository,
        RefundsRepository,
        RefundsSystemRepository,
        StripeEventsRepository,
        PaymentsService,
        PaymentIntake,
        StripeWebhooksService,
        PaymentSync,
        RefundSync,
        IntentProcessor,
        RefundProcessor,
        WebhookProcessor,
        PaymentsHandlers,
      ],
    };
  }
}

export const paymentsFeature = (role: AppRole): DynamicModule => PaymentsModule.forRole(role);
