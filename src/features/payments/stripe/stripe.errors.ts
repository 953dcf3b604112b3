import { PermanentError } from '../../../platform/events/index.js';
import type { IntentSnapshot } from './stripe.snapshots.js';

/** Stripe declined the card (HTTP 402): a final answer for this attempt, never retried. */
export class StripeCardDeclined extends Error {
  override readonly name = 'StripeCardDeclined';

  constructor(
    message: string,
    readonly code: string | undefined,
    readonly declineCode: string | undefined,
    /** The PaymentIntent as Stripe left it (Stripe creates it even when confirming it fails). */
    readonly intent: IntentSnapshot | undefined,
  ) {
    super(message);
  }
}

/**
 * Stripe refused the request itself (400, 401, 403, 404, an idempotency key reused with other
 * parameters): retrying the same request cannot help.
 */
export class StripeRejected extends PermanentError {
  override readonly name = 'StripeRejected';

  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly param: string | undefined,
  ) {
    super(message);
  }

  /** 400 invalid_request_error: the parameters of this payment are wrong, not keel's setup. */
  get isInvalidRequest(): boolean {
    return this.statusCode === 400 && this.code !== 'idempotency_error';
  }
}

/** Stripe could not answer (5xx, 409, 429, network error, timeout): retry with the same idempotency key. */
export class StripeUnavailable extends Error {
  override readonly name = 'StripeUnavailable';

  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** STRIPE_SECRET_KEY was unset when work that needs Stripe ran: dead-lettered, replay it once configured. */
export class StripeNotConfigured extends PermanentError {
  override readonly name = 'StripeNotConfigured';
}

/** The Stripe-Signature header does not prove the body came from Stripe within the tolerance. */
export class StripeSignatureInvalid extends Error {
  override readonly name = 'StripeSignatureInvalid';
}
