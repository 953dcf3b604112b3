/**
 * Plain views of the Stripe objects keel works with, so that no Stripe SDK type leaves this folder.
 * Built from API responses and from webhook payloads alike (the same JSON).
 */
export interface IntentSnapshot {
  id: string;
  status: string;
  amount: number;
  currency: string;
  clientSecret?: string;
  /** Our payment id, from the intent's metadata. */
  paymentId?: string;
  lastError?: { code?: string; declineCode?: string; message?: string };
  cancellationReason?: string;
}

export interface RefundSnapshot {
  id: string;
  /** pending, requires_action, succeeded, failed or canceled. */
  status: string;
  amount: number;
  paymentIntentId?: string;
  /** Our refund id, from the refund's metadata (absent for refunds made outside keel). */
  refundId?: string;
  failureReason?: string;
}

/** A verified webhook event: what it is about, and its exact JSON. */
export interface WebhookEvent {
  id: string;
  type: string;
  created: Date;
  livemode: boolean;
  raw: string;
}

export const PAYMENT_ID_KEY = 'keel_payment_id';
export const REFUND_ID_KEY = 'keel_refund_id';

type Json = Record<string, any>;

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : value && typeof value === 'object' ? (value as Json).id : undefined;

export function toIntentSnapshot(pi: Json): IntentSnapshot {
  const error = pi.last_payment_error as Json | null | undefined;
  return {
    id: pi.id,
    status: pi.status,
    amount: pi.amount,
    currency: pi.currency,
    clientSecret: pi.client_secret ?? undefined,
    paymentId: pi.metadata?.[PAYMENT_ID_KEY],
    lastError: error
      ? {
          code: error.code ?? undefined,
          declineCode: error.decline_code ?? undefined,
          message: error.message ?? undefined,
        }
      : undefined,
    cancellationReason: pi.cancellation_reason ?? undefined,
  };
}

export function toRefundSnapshot(refund: Json): RefundSnapshot {
  return {
    id: refund.id,
    status: refund.status ?? 'pending',
    amount: refund.amount,
    paymentIntentId: idOf(refund.payment_intent),
    refundId: refund.metadata?.[REFUND_ID_KEY],
    failureReason: refund.failure_reason ?? undefined,
  };
}

/** The PaymentIntent a webhook event is about: the object itself, or a charge's payment_intent. */
export function intentIdOfEventObject(object: Json): string | undefined {
  if (object.object === 'payment_intent') return object.id;
  return idOf(object.payment_intent);
}
