import { Injectable, Logger, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { DrainState } from '../../../platform/lifecycle/index.js';
import type { MessageDto } from '../dto/message.dto.js';
import { toMessageDto } from '../messaging.mappers.js';
import { MessagesRepository } from '../messages.repository.js';
import { ConversationChannels, type LiveEvent } from './conversation-channels.js';
import { InOrder } from './in-order.js';

/** A later message arrived first: how long the missing ones may take over pub/sub before MongoDB is asked. */
const GAP_WAIT_MS = 100;
/** A stream that delivered nothing for this long asks MongoDB (catches messages pub/sub lost). */
const REREAD_MS = 5_000;
const KEEPALIVE_MS = 15_000;
const BATCH = 500;

/**
 * A conversation's messages and read receipts as server-sent events, from any replica.
 *
 * `message` events carry `id: <seq>` and are delivered in seq order, each once, with no gap (InOrder): the
 * stream subscribes to the conversation's channel first (buffering), then reads every message after `from`
 * from MongoDB, then drains the buffer; a message that arrives ahead of one it has not seen waits for it
 * over pub/sub, then MongoDB is read.
 * `read` events (a participant's new read position) are not replayed; their id is the seq of the last
 * message delivered before them, so `Last-Event-ID` always names a message.
 * The stream ends when the process starts draining; the client reconnects with `Last-Event-ID`.
 */
@Injectable()
export class ConversationStream {
  private readonly logger = new Logger('MessagingStream');

  constructor(
    private readonly messages: MessagesRepository,
    private readonly channels: ConversationChannels,
    private readonly drain: DrainState,
  ) {}

  open(conversationId: string, from: number): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let closed = false;
      let reading = false;
      let readAgain = false;
      let lastProgress = Date.now();
      let gapTimer: NodeJS.Timeout | undefined;
      let stopWatching: (() => void) | undefined;
      const order = new InOrder<MessageDto>(
        from,
        (m) => {
          lastProgress = Date.now();
          subscriber.next({ type: 'message', id: String(m.seq), data: m });
        },
        (a, b) =>
          this.logger.warn(`conversation ${conversationId}: messages ${a}..${b} are not in MongoDB; skipping them`),
      );

      const flush = () => {
        if (!order.drain()) {
          clearTimeout(gapTimer);
          gapTimer = undefined;
        } else {
          gapTimer ??= setTimeout(() => {
            gapTimer = undefined;
            void read();
          }, GAP_WAIT_MS);
        }
      };
      const read = async () => {
        if (closed) return;
        if (reading) {
          readAgain = true;
          return;
        }
        reading = true;
        try {
          do {
            readAgain = false;
            await readFromMongo();
          } while (readAgain && !closed);
        } catch (err) {
          this.logger.warn(`conversation ${conversationId}: cannot read messages: ${(err as Error).message}`);
        } finally {
          reading = false;
        }
        if (!closed) flush();
      };
      const readFromMongo = async () => {
        for (;;) {
          const known = order.known;
          const before = order.last;
          const docs = await this.messages.after(conversationId, before, BATCH);
          if (closed) return;
          order.applyRead(docs.map(toMessageDto), known, docs.length < BATCH);
          if (docs.length < BATCH || order.last === before) return;
        }
      };
      const onLive = (event: LiveEvent) => {
        if (closed) return;
        if (event.k === 'r') {
          // With the position as id: Nest would number an event without one, and the client would
          // resume from that number.
          subscriber.next({ type: 'read', id: String(order.last), data: event.r });
          return;
        }
        order.offer(event.m);
        if (!reading) flush();
      };

      const timers = [
        setInterval(() => Date.now() - lastProgress >= REREAD_MS && void read(), REREAD_MS),
        setInterval(() => !closed && subscriber.next({ comment: 'keep-alive' }), KEEPALIVE_MS),
      ];
      const cleanup = () => {
        closed = true;
        timers.forEach(clearInterval);
        clearTimeout(gapTimer);
        stopWatching?.();
        this.drain.streamsSignal.removeEventListener('abort', end);
      };
      function end() {
        if (closed) return;
        cleanup();
        subscriber.complete();
      }
      if (this.drain.streamsSignal.aborted) queueMicrotask(end);
      this.drain.streamsSignal.addEventListener('abort', end, { once: true });
      // Subscribed first, then MongoDB: nothing can slip between the two. Without Redis the stream still
      // follows the conversation through its periodic reads.
      this.channels
        .watch(conversationId, onLive)
        .then((stop) => (closed ? stop() : (stopWatching = stop)))
        .catch((err: Error) =>
          this.logger.warn(
            `conversation ${conversationId}: no live delivery (${err.message}); reading MongoDB every ${REREAD_MS} ms`,
          ),
        )
        .finally(() => void read());
      return cleanup;
    });
  }
}
