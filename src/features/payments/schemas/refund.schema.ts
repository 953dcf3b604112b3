import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { OwnedFields } from '../../../platform/http/index.js';
import { REFUND_STATUSES, type RefundStatus } from '../refund-status.js';

@Schema({ collection: 'payment_refunds', versionKey: false, timestamps: true })
export class Refund implements OwnedFields {
  @Prop({ type: String, required: true })
  ownerId: string;

  @Prop({ type: String, required: true })
  paymentId: string;

  @Prop({ type: Number, required: true })
  amount: number;

  @Prop({ type: String, required: true })
  currency: string;

  @Prop({ type: String, required: true, enum: REFUND_STATUSES })
  status: RefundStatus;

  @Prop({ type: String })
  stripeRefundId?: string;

  @Prop({ type: String })
  failureReason?: string;

  /** `keel` for refunds requested through the API, `stripe` for refunds made elsewhere (the Dashboard). */
  @Prop({ type: String, required: true })
  origin: 'keel' | 'stripe';

  /** When keel last knew this refund's state to be current. */
  @Prop({ type: Date, required: true })
  checkedAt: Date;

  createdAt?: Date;
  updatedAt?: Date;
}

export const REFUND_MODEL = 'PaymentRefund';
export const RefundSchema = SchemaFactory.createForClass(Refund);
RefundSchema.index({ ownerId: 1, paymentId: 1, _id: -1 });
RefundSchema.index({ status: 1, checkedAt: 1 });
RefundSchema.index(
  { stripeRefundId: 1 },
  { unique: true, partialFilterExpression: { stripeRefundId: { $type: 'string' } } },
);
