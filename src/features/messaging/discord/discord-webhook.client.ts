import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError } from '../../../platform/events/index.js';
import { MessagingSettings } from '../messaging.settings.js';
import { DiscordRateLimits } from './discord-rate-limits.js';

/** The body of Discord's "Execute Webhook" (the fields keel sends). */
export interface DiscordWebhookMessage {
  content: string;
  username?: string;
  embeds?: Array<Record<string, unknown>>;
  allowed_mentions?: { parse: string[] };
}

/** 429s answered within one call before it gives the attempt back to the event bus. */
const MAX_RATE_LIMITED = 5;

/** A failure worth another attempt later (outage, timeout, rate limit beyond DISCORD_MAX_WAIT_MS). */
export class DiscordUnavailableError extends Error {
  override name = 'DiscordUnavailableError';
}

/**
 * Posts to a Discord incoming webhook (`POST <url>?wait=true`) with fetch; discord.js is not needed for
 * one endpoint. Honours Discord's rate limits: waits out a 429's `retry_after` (and an exhausted bucket)
 * when that is within DISCORD_MAX_WAIT_MS, shared across workers through Redis. Within a process posts go
 * one at a time, as discord.js queues a bucket's requests, so concurrent handlers learn of a limit before
 * they run into it. 5xx, timeouts and network errors throw
 * DiscordUnavailableError (retried by the bus); other 4xx answers (a bad or deleted webhook, a payload
 * Discord refuses) throw PermanentError (dead-lettered at once: a retry cannot fix them).
 */
@Injectable()
export class DiscordWebhook {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: MessagingSettings,
    private readonly limits: DiscordRateLimits,
  ) {}

  get configured(): boolean {
    return this.settings.discordWebhookUrl !== undefined;
  }

  /** Resolves with the id of the message Discord created. */
  post(message: DiscordWebhookMessage, signal: AbortSignal): Promise<{ id?: string }> {
    const turn = this.queue.then(() => this.postNow(message, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async postNow(message: DiscordWebhookMessage, signal: AbortSignal): Promise<{ id?: string }> {
    signal.throwIfAborted();
    const url = this.settings.discordWebhookUrl;
    if (!url) throw new PermanentError('DISCORD_WEBHOOK_URL is not set');
    const target = new URL(url);
    target.searchParams.set('wait', 'true');
    for (let limited = 0; ; limited++) {
      await this.waitForBucket(signal);
      const res = await this.send(target, message, signal);
      await this.limits.observe(res.headers);
      if (res.ok) {
        const body = (await res.json().catch(() => ({}))) as { id?: unknown };
        return { id: typeof body.id === 'string' ? body.id : undefined };
      }
      const body = (await res.json().catch(() => ({}))) as {
        message?: string;
        code?: number;
        retry_after?: number;
        global?: boolean;
      };
      if (res.status === 429) {
        const seconds = Number(body.retry_after ?? res.headers.get('retry-after') ?? 1);
        await this.limits.block((Number.isFinite(seconds) ? seconds : 1) * 1000);
        if (limited + 1 >= MAX_RATE_LIMITED)
          throw new DiscordUnavailableError(
            `Discord kept answering 429 (${body.global ? 'global' : 'webhook'} rate limit)`,
          );
        continue;
      }
      const what = `Discord answered ${res.status}${body.message ? ` (${body.message}${body.code ? `, code ${body.code}` : ''})` : ''}`;
      if (res.status >= 500 || res.status === 408) throw new DiscordUnavailableError(what);
      throw new PermanentError(`${what}: check DISCORD_WEBHOOK_URL and the message; retrying cannot help`);
    }
  }

  private async waitForBucket(signal: AbortSignal): Promise<void> {
    const ms = await this.limits.waitMs();
    if (ms === 0) return;
    if (ms > this.settings.discordMaxWaitMs) {
      throw new DiscordUnavailableError(
        `Discord rate limit: the webhook may be called again in ${ms} ms (DISCORD_MAX_WAIT_MS is ${this.settings.discordMaxWaitMs})`,
      );
    }
    await sleep(ms, undefined, { signal });
  }

  private async send(target: URL, message: DiscordWebhookMessage, signal: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.settings.discordTimeoutMs);
    try {
      return await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'keel (messaging notifications)' },
        body: JSON.stringify(message),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      // Never the URL in the message: it carries the webhook's token.
      const why = timeout.aborted
        ? `no answer within DISCORD_TIMEOUT_MS (${this.settings.discordTimeoutMs} ms)`
        : (err as Error).message;
      throw new DiscordUnavailableError(`Discord is unreachable: ${why}`);
    }
  }
}
