/**
 * The events the payments feature publishes: its public contract. Other features import only this file.
 * Every event's aggregateId is the payment id.
 */

export const PaymentsEvents = {
  /** The payment's PaymentIntent succeeded: the money is captured. Published once per payment. */
  succeeded: 'payments.payment.succeeded',
  /**
   * The payment failed (a declined card, an error Stripe will not retry) or was canceled. Published once,
   * on the first failure. A customer may still complete the same PaymentIntent with its client secret,
   * in which case `payments.payment.succeeded` follows: let succeeded win.
   */
  failed: 'payments.payment.failed',
  /** A refund (partial or full) of the payment succeeded at Stripe. Published once per refund. */
  refunded: 'payments.payment.refunded',
} as const;

export interface PaymentSucceededPayload {
  paymentId: string;
  ownerId: string;
  /** Minor units (cents). */
  amount: number;
  currency: string;
  stripePaymentIntentId: string;
}

export interface PaymentFailedPayload {
  paymentId: string;
  ownerId: string;
  amount: number;
  currency: string;
  status: 'failed' | 'canceled';
  /** Stripe's error code (e.g. `card_declined`) or cancellation reason, when known. */
  reason?: string;
  message?: string;
  stripePaymentIntentId?: string;
}

export interface PaymentRefundedPayload {
  paymentId: string;
  ownerId: string;
  refundId: string;
  stripeRefundId: string;
  /** This refund, in minor units. */
  amount: number;
  currency: string;
  /** Everything refunded on the payment so far, this refund included. */
  amountRefunded: number;
  fullyRefunded: boolean;
}

/**
 * Work items the payments feature sends itself through the bus (each names the aggregate to work on).
 * Not part of the contract: other features must not subscribe to them.
 */
export const PaymentsWork = {
  intentRequested: 'payments.intent.requested',
  refundRequested: 'payments.refund.requested',
  webhookReceived: 'payments.webhook.received',
  reconciliationRequested: 'payments.reconciliation.requested',
} as const;

export interface IntentRequestedPayload {
  paymentId: string;
  ownerId: string;
}

export interface RefundRequestedPayload {
  refundId: string;
  paymentId: string;
  ownerId: string;
}

export interface WebhookReceivedPayload {
  stripeEventId: string;
  type: string;
}

export interface ReconciliationRequestedPayload {
  paymentId: string;
  ownerId: string;
  /** Set when the refund, not the payment, is what to look at. */
  refundId?: string;
}
