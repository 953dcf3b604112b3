import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { OwnedFields } from '../../../platform/http/index.js';
import { PAYMENT_STATUSES, type PaymentStatus } from '../payment-status.js';

/** One state change, kept on the payment for support and audits. */
export interface PaymentTransition {
  status: PaymentStatus;
  at: Date;
  /** `created`, `intent-created`, `webhook:<evt id>`, `reconciliation`, `refund:<id>`. */
  source: string;
}

export interface PaymentFailure {
  code?: string;
  message?: string;
}

@Schema({ collection: 'payments', versionKey: false, timestamps: true })
export class Payment implements OwnedFields {
  @Prop({ type: String, required: true })
  ownerId: string;

  /** Minor units. */
  @Prop({ type: Number, required: true })
  amount: number;

  @Prop({ type: String, required: true })
  currency: string;

  @Prop({ type: String, required: true })
  description: string;

  @Prop({ type: Object, default: {} })
  metadata: Record<string, string>;

  @Prop({ type: String })
  paymentMethod?: string;

  @Prop({ type: String, required: true, enum: PAYMENT_STATUSES })
  status: PaymentStatus;

  @Prop({ type: String })
  stripePaymentIntentId?: string;

  @Prop({ type: String })
  clientSecret?: string;

  @Prop({ type: Object })
  failure?: PaymentFailure;

  /** Refunded at Stripe (succeeded refunds). */
  @Prop({ type: Number, default: 0 })
  amountRefunded: number;

  /** Reserved by refunds keel requested that have not settled yet. */
  @Prop({ type: Number, default: 0 })
  amountRefunding: number;

  /** When keel last knew this payment's state to be current; reconciliation looks at the oldest first. */
  @Prop({ type: Date, required: true })
  checkedAt: Date;

  @Prop({ type: [Object], default: [] })
  history: PaymentTransition[];

  createdAt?: Date;
  updatedAt?: Date;
}

export const PAYMENT_MODEL = 'Payment';
export const PaymentSchema = SchemaFactory.createForClass(Payment);
PaymentSchema.index({ ownerId: 1, _id: -1 });
PaymentSchema.index({ ownerId: 1, status: 1, _id: -1 });
PaymentSchema.index({ status: 1, checkedAt: 1 });
PaymentSchema.index(
  { stripePaymentIntentId: 1 },
  { unique: true, partialFilterExpression: { stripePaymentIntentId: { $type: 'string' } } },
);
