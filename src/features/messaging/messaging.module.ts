import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { routesFor, type AppRole } from '../../config/index.js';
import { ConversationWriter } from './conversation-writer.js';
import { ConversationsRepository } from './conversations.repository.js';
import { DiscordDeliveriesRepository } from './discord-deliveries.repository.js';
import { DiscordRateLimits } from './discord/discord-rate-limits.js';
import { DiscordWebhook } from './discord/discord-webhook.client.js';
import { ConversationChannels } from './live/conversation-channels.js';
import { ConversationStream } from './live/conversation-stream.js';
import { StreamAccessGuard } from './live/stream-access.guard.js';
import { MembersRepository } from './members.repository.js';
import { MessagePosting } from './message-posting.service.js';
import { MessagesRepository } from './messages.repository.js';
import { MessagingController } from './messaging.controller.js';
import { DiscordNotifications, InAppNotifications } from './messaging.handlers.js';
import { MessagingService } from './messaging.service.js';
import { MessagingSettings } from './messaging.settings.js';
import { CONVERSATION_MODEL, ConversationSchema } from './schemas/conversation.schema.js';
import { DISCORD_DELIVERY_MODEL, DiscordDeliverySchema } from './schemas/discord-delivery.schema.js';
import { MEMBER_MODEL, MemberSchema } from './schemas/member.schema.js';
import { MESSAGE_MODEL, MessageSchema } from './schemas/message.schema.js';

/**
 * Messaging (README "Messaging"): conversations under /v1/conversations with live delivery over SSE
 * across replicas, and notifications of other features' events, in the app and on Discord.
 */
@Module({})
export class MessagingModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: MessagingModule,
      imports: [
        MongooseModule.forFeature([
          { name: CONVERSATION_MODEL, schema: ConversationSchema },
          { name: MEMBER_MODEL, schema: MemberSchema },
          { name: MESSAGE_MODEL, schema: MessageSchema },
          { name: DISCORD_DELIVERY_MODEL, schema: DiscordDeliverySchema },
        ]),
        RouterModule.register([{ path: 'v1/conversations', module: MessagingModule }]),
      ],
      controllers: routesFor(role, [MessagingController]),
      providers: [
        MessagingSettings,
        ConversationsRepository,
        MembersRepository,
        MessagesRepository,
        DiscordDeliveriesRepository,
        ConversationChannels,
        ConversationStream,
        StreamAccessGuard,
        MessagingService,
        ConversationWriter,
        MessagePosting,
        DiscordRateLimits,
        DiscordWebhook,
        InAppNotifications,
        DiscordNotifications,
      ],
    };
  }
}
