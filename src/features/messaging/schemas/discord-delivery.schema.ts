import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const DISCORD_DELIVERY_MODEL = 'MessagingDiscordDelivery';
/** How long a delivery record is kept (the event bus's inbox keeps deliveries 14 days by default too). */
export const DISCORD_DELIVERY_RETENTION_S = 14 * 24 * 3600;

/**
 * One notification posted to Discord, keyed by the event delivery key (`<eventId>@messaging.discord`):
 * a redelivery of the event finds it and posts nothing. `discordMessageId` is what Discord answered.
 */
@Schema({ collection: 'messaging_discord_deliveries', versionKey: false })
export class DiscordDelivery {
  @Prop({ type: String, required: true }) _id: string;
  @Prop({ type: String, required: true }) eventType: string;
  @Prop({ type: String, required: true }) ownerId: string;
  @Prop({ type: String }) discordMessageId?: string;
  @Prop({ type: Number, required: true }) attempt: number;
  @Prop({ type: Date, required: true }) sentAt: Date;
}

export const DiscordDeliverySchema = SchemaFactory.createForClass(DiscordDelivery);
DiscordDeliverySchema.index({ sentAt: 1 }, { expireAfterSeconds: DISCORD_DELIVERY_RETENTION_S });
