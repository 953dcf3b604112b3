import { Injectable, Logger } from '@nestjs/common';
import { RedisPubSub } from '../../../platform/redis/index.js';
import type { MessageDto } from '../dto/message.dto.js';
import { MessagingSettings } from '../messaging.settings.js';

export interface ReadReceipt {
  userId: string;
  lastReadSeq: number;
  at: string;
}

/** What travels on a conversation's channel: a stored message, or a participant's new read position. */
export type LiveEvent = { k: 'm'; m: MessageDto } | { k: 'r'; r: ReadReceipt };

type Listener = (event: LiveEvent) => void;

const WARN_EVERY_MS = 10_000;

/**
 * Redis pub/sub between API replicas, one channel per conversation: whichever replica stores a message
 * publishes it after the commit, and every replica with an open stream on that conversation gets it.
 * A process subscribes to a channel once, however many of its streams watch it. Pub/sub is best
 * effort: streams fill gaps and catch up from MongoDB, which holds every message.
 */
@Injectable()
export class ConversationChannels {
  private readonly logger = new Logger('MessagingChannels');
  private lastWarnAt = 0;

  constructor(
    private readonly pubsub: RedisPubSub,
    private readonly settings: MessagingSettings,
  ) {}

  private channel(conversationId: string): string {
    return `${this.settings.redisPrefix}:conversation:${conversationId}`;
  }

  /** Never throws: a message that cannot be published is still stored, and streams read it from MongoDB. */
  async publish(conversationId: string, event: LiveEvent): Promise<void> {
    try {
      await this.pubsub.publish(this.channel(conversationId), JSON.stringify(event));
    } catch (err) {
      if (Date.now() - this.lastWarnAt > WARN_EVERY_MS) {
        this.lastWarnAt = Date.now();
        this.logger.warn(`live delivery is degraded (streams fall back to MongoDB): ${(err as Error).message}`);
      }
    }
  }

  /** Calls `fn` with every event of the conversation; resolves with the stop function once subscribed. */
  watch(conversationId: string, fn: Listener): Promise<() => void> {
    return this.pubsub.listen(this.channel(conversationId), (raw) => {
      let event: LiveEvent;
      try {
        event = JSON.parse(raw) as LiveEvent;
      } catch {
        return;
      }
      fn(event);
    });
  }
}
