/**
 * The payment state machine. A payment starts `processing` (accepted, the PaymentIntent not created yet),
 * then follows its PaymentIntent. It never moves backwards: once failed it may only still succeed (the
 * customer can retry with the client secret) or be canceled; succeeded, canceled and refunded are final
 * except that succeeded becomes refunded when the whole amount is refunded.
 */
export const OPEN_STATUSES = [
  'processing',
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
] as const;

export const PAYMENT_STATUSES = [...OPEN_STATUSES, 'failed', 'canceled', 'succeeded', 'refunded'] as const;

export type OpenStatus = (typeof OPEN_STATUSES)[number];
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const NEXT: Record<'failed' | 'canceled' | 'succeeded' | 'refunded', readonly PaymentStatus[]> = {
  failed: ['succeeded', 'canceled'],
  succeeded: ['refunded'],
  canceled: [],
  refunded: [],
};

export function isOpen(status: PaymentStatus): status is OpenStatus {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

/** Whether a payment in `from` may move to `to`. Moves between open states need fresh data from Stripe. */
export function canMove(from: PaymentStatus, to: PaymentStatus): boolean {
  if (from === to) return false;
  if (isOpen(from)) return to !== 'refunded';
  return NEXT[from].includes(to);
}

/** The states a payment may be in for a move to `to`: the guard of the conditional update. */
export function statusesBefore(to: PaymentStatus): PaymentStatus[] {
  return PAYMENT_STATUSES.filter((from) => canMove(from, to));
}

/** What a PaymentIntent's state means for the payment. */
export function statusOfIntent(intent: { status: string; lastError?: unknown }): PaymentStatus {
  switch (intent.status) {
    case 'succeeded':
    case 'canceled':
      return intent.status;
    case 'requires_payment_method':
      // Stripe puts a PaymentIntent back here after a failed attempt, with last_payment_error set.
      return intent.lastError ? 'failed' : 'requires_payment_method';
    case 'processing':
    case 'requires_confirmation':
    case 'requires_action':
    case 'requires_capture':
      return intent.status;
    default:
      // A status newer than this code: keep the payment open and let reconciliation look again.
      return 'processing';
  }
}

/** Stripe never moves a PaymentIntent out of these, so an event reporting one cannot be stale. */
export function isFinalAtStripe(intentStatus: string): boolean {
  return intentStatus === 'succeeded' || intentStatus === 'canceled';
}
