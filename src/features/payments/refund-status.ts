/** A refund is `requested` until Stripe has it, then follows Stripe's refund status. */
export const REFUND_STATUSES = ['requested', 'pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
