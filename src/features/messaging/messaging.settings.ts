import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/index.js';

/** Participants of one conversation, its creator included. */
export const MAX_PARTICIPANTS = 100;
export const MAX_BODY_CHARS = 4000;
/** Characters of a message kept as the conversation's last-message preview. */
export const PREVIEW_CHARS = 140;

/** The messaging feature's view of the configuration (README "Messaging"). */
@Injectable()
export class MessagingSettings {
  constructor(readonly config: AppConfig) {}

  /** The Discord incoming-webhook URL; unset: notifications stay in the app. */
  get discordWebhookUrl(): string | undefined {
    return this.config.DISCORD_WEBHOOK_URL || undefined;
  }

  get discordTimeoutMs(): number {
    return this.config.DISCORD_TIMEOUT_MS;
  }

  get discordMaxWaitMs(): number {
    return this.config.DISCORD_MAX_WAIT_MS;
  }

  get redisPrefix(): string {
    return `${this.config.REDIS_PREFIX}:messaging`;
  }
}
