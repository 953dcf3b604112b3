import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A verified Stripe webhook event, stored under its Stripe id before keel answers 2xx. */
@Schema({ collection: 'stripe_events', versionKey: false })
export class StripeEventRecord {
  /** Stripe's event id (evt_...): the unique key that makes a redelivery a no-op. */
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ type: String, required: true })
  type: string;

  /** When Stripe created the event. */
  @Prop({ type: Date, required: true })
  created: Date;

  @Prop({ type: Boolean, required: true })
  livemode: boolean;

  /** The exact JSON Stripe sent (what the signature covered). */
  @Prop({ type: String, required: true })
  raw: string;

  @Prop({ type: Date, required: true })
  receivedAt: Date;

  @Prop({ type: Date })
  processedAt?: Date;
}

export const STRIPE_EVENT_MODEL = 'StripeEvent';
export const StripeEventSchema = SchemaFactory.createForClass(StripeEventRecord);
