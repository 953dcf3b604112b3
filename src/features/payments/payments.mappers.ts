import { ProblemException } from '../../platform/http/index.js';
import type { PaymentDto, RefundDto } from './dto/payment.dto.js';
import type { PaymentDoc } from './payments.repository.js';
import type { RefundDoc } from './refunds.repository.js';

export function toPaymentDto(p: PaymentDoc, withSecret: boolean): PaymentDto {
  return {
    id: p._id.toHexString(),
    status: p.status,
    amount: p.amount,
    currency: p.currency,
    description: p.description,
    metadata: p.metadata ?? {},
    amountRefunded: p.amountRefunded ?? 0,
    ...(withSecret && p.clientSecret ? { clientSecret: p.clientSecret } : {}),
    ...(p.stripePaymentIntentId ? { stripePaymentIntentId: p.stripePaymentIntentId } : {}),
    ...(p.failure ? { failure: { code: p.failure.code, message: p.failure.message } } : {}),
    createdAt: (p.createdAt ?? new Date(0)).toISOString(),
    updatedAt: (p.updatedAt ?? new Date(0)).toISOString(),
  };
}

export function toRefundDto(r: RefundDoc): RefundDto {
  return {
    id: r._id.toHexString(),
    paymentId: r.paymentId,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    ...(r.stripeRefundId ? { stripeRefundId: r.stripeRefundId } : {}),
    ...(r.failureReason ? { failureReason: r.failureReason } : {}),
    createdAt: (r.createdAt ?? new Date(0)).toISOString(),
  };
}

/** Cursors are opaque to clients: the last id of a page, base64url-encoded. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`p:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = /^p:([0-9a-f]{24})$/.exec(decoded)?.[1];
  if (!id) throw ProblemException.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
  return id;
}
