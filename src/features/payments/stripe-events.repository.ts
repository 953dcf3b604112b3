import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import { STRIPE_EVENT_MODEL, type StripeEventRecord } from './schemas/stripe-event.schema.js';
import type { WebhookEvent } from './stripe/stripe.snapshots.js';

/** Verified Stripe webhook events, keyed by Stripe's event id. */
@Injectable()
export class StripeEventsRepository {
  constructor(@InjectModel(STRIPE_EVENT_MODEL) private readonly events: Model<StripeEventRecord>) {}

  /** Stores the event; false when an event with this id is already stored (a redelivery). */
  async insert(event: WebhookEvent, session: ClientSession): Promise<boolean> {
    if (await this.events.exists({ _id: event.id }).session(session)) return false;
    const { id, ...rest } = event;
    await this.events.insertMany([{ _id: id, ...rest, receivedAt: new Date() }], { session });
    return true;
  }

  find(id: string): Promise<StripeEventRecord | null> {
    return this.events.findById(id).lean<StripeEventRecord>().exec();
  }

  async markProcessed(id: string): Promise<void> {
    await this.events
      .updateOne({ _id: id, processedAt: { $exists: false } }, { $set: { processedAt: new Date() } })
      .exec();
  }
}
