import { Injectable, Logger } from '@nestjs/common';
import { IsString, MinLength } from 'class-validator';
import { AI_JOB_COMPLETED, AI_JOB_FAILED } from '../ai-jobs/ai-jobs.events.js';
import { CryptoEvents } from '../crypto/crypto.events.js';
import { PaymentsEvents } from '../payments/payments.events.js';
import { OnEvent, Subscriber, type DomainEvent, type HandlerContext } from '../../platform/events/index.js';
import { DiscordDeliveriesRepository } from './discord-deliveries.repository.js';
import { DiscordWebhook } from './discord/discord-webhook.client.js';
import { MessagePosting } from './message-posting.service.js';
import { describe, inAppBody, NOTIFYING_EVENTS } from './notifications/notification-text.js';

/** What every notifying event carries: whom it is about. A payload without it is dead-lettered at once. */
class OwnedPayload {
  @IsString() @MinLength(1) ownerId: string;
}

type Owned = DomainEvent<{ ownerId: string }>;
const ON = { transaction: false, payload: OwnedPayload } as const;

/**
 * Notifications in the app: each event becomes a system message in its owner's notifications
 * conversation (live on their streams like any message). The message's own transaction commits it,
 * keyed by the delivery (ctx.idempotencyKey), so a redelivery writes nothing twice; `transaction: false`
 * only because the live push must follow that commit.
 */
@Subscriber('messaging.notifications', { events: [...NOTIFYING_EVENTS] })
@Injectable()
export class InAppNotifications {
  constructor(private readonly posting: MessagePosting) {}

  @OnEvent(PaymentsEvents.succeeded, ON)
  @OnEvent(PaymentsEvents.failed, ON)
  @OnEvent(PaymentsEvents.refunded, ON)
  @OnEvent(AI_JOB_COMPLETED, ON)
  @OnEvent(AI_JOB_FAILED, ON)
  @OnEvent(CryptoEvents.confirmed, ON)
  async notify(event: Owned, ctx: HandlerContext): Promise<void> {
    await this.posting.notify({
      ownerId: event.payload.ownerId,
      body: inAppBody(describe(event.type, event.payload)),
      source: { type: event.type, eventId: event.id, aggregateId: event.aggregateId },
      deliveryKey: ctx.idempotencyKey,
    });
  }
}

/**
 * Notifications on Discord, a subscriber of its own: a Discord outage retries and dead-letters here
 * without touching the in-app notification or the feature that published the event. A delivery record
 * per event delivery (ctx.idempotencyKey) is written once Discord accepted the post, so a redelivery
 * posts nothing twice. (Only a crash between Discord's answer and that record can repeat a post:
 * incoming webhooks take no idempotency key.)
 */
@Subscriber('messaging.discord', { events: [...NOTIFYING_EVENTS] })
@Injectable()
export class DiscordNotifications {
  private readonly logger = new Logger('MessagingDiscord');

  constructor(
    private readonly discord: DiscordWebhook,
    private readonly deliveries: DiscordDeliveriesRepository,
  ) {}

  @OnEvent(PaymentsEvents.succeeded, ON)
  @OnEvent(PaymentsEvents.failed, ON)
  @OnEvent(PaymentsEvents.refunded, ON)
  @OnEvent(AI_JOB_COMPLETED, ON)
  @OnEvent(AI_JOB_FAILED, ON)
  @OnEvent(CryptoEvents.confirmed, ON)
  async deliver(event: Owned, ctx: HandlerContext): Promise<void> {
    if (!this.discord.configured) {
      this.logger.debug(`DISCORD_WEBHOOK_URL is not set: ${event.type} ${event.id} is notified in the app only`);
      return;
    }
    if (await this.deliveries.sent(ctx.idempotencyKey)) return;
    const text = describe(event.type, event.payload);
    const { id } = await this.discord.post(
      {
        content: `**${text.title}** (user \`${event.payload.ownerId.replace(/`/g, "'")}\`)\n${text.summary}`.slice(
          0,
          2000,
        ),
        allowed_mentions: { parse: [] },
      },
      ctx.signal,
    );
    await this.deliveries.record({
      _id: ctx.idempotencyKey,
      eventType: event.type,
      ownerId: event.payload.ownerId,
      discordMessageId: id,
      attempt: ctx.attempt,
      sentAt: new Date(),
    });
  }
}
