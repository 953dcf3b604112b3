import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { DISCORD_DELIVERY_MODEL, type DiscordDelivery } from './schemas/discord-delivery.schema.js';

/** Which notification deliveries already reached Discord (keyed by event delivery key). */
@Injectable()
export class DiscordDeliveriesRepository implements OnModuleInit {
  constructor(@InjectModel(DISCORD_DELIVERY_MODEL) private readonly deliveries: Model<DiscordDelivery>) {}

  async onModuleInit(): Promise<void> {
    await this.deliveries.createIndexes();
  }

  async sent(key: string): Promise<boolean> {
    return (await this.deliveries.exists({ _id: key }).exec()) !== null;
  }

  async record({ _id, ...delivery }: DiscordDelivery): Promise<void> {
    await this.deliveries.updateOne({ _id }, { $setOnInsert: delivery }, { upsert: true }).exec();
  }
}
