import { Injectable } from '@nestjs/common';
import { RedisConnections } from './redis.connections.js';

type Listener = (message: string) => void;

/**
 * Redis pub/sub shared by every feature of a process: one subscription per channel on the shared
 * subscriber connection, however many listeners watch it, dropped when the last one stops.
 */
@Injectable()
export class RedisPubSub {
  private readonly channels = new Map<string, { listeners: Set<Listener>; subscribed: Promise<unknown> }>();
  private hooked = false;

  constructor(private readonly redis: RedisConnections) {}

  /** Rejects when Redis is unreachable: callers decide whether that matters. */
  async publish(channel: string, message: string): Promise<void> {
    await this.redis.client.publish(channel, message);
  }

  /** Calls `fn` with every message on `channel`; resolves with the stop function once subscribed. */
  async listen(channel: string, fn: Listener): Promise<() => void> {
    const sub = this.redis.subscriber;
    if (!this.hooked) {
      this.hooked = true;
      sub.on('message', (ch: string, message: string) => {
        for (const l of this.channels.get(ch)?.listeners ?? []) l(message);
      });
    }
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: sub.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(fn);
    const current = entry;
    const stop = () => {
      if (!current.listeners.delete(fn) || current.listeners.size > 0) return;
      if (this.channels.get(channel) === current) this.channels.delete(channel);
      sub.unsubscribe(channel).catch(() => undefined);
    };
    try {
      await current.subscribed;
    } catch (err) {
      stop();
      throw err;
    }
    return stop;
  }
}
