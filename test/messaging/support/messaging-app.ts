import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { getConnectionToken, InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { MessagingModule } from '../../../src/features/messaging/messaging.module.js';
import { MessagingEvents, type MessageSentPayload } from '../../../src/features/messaging/messaging.events.js';
import { OnEvent, Subscriber, type DomainEvent, type HandlerContext } from '../../../src/platform/events/index.js';
import { bearer } from '../../support/auth/dev-tokens.js';
import { bootInProcess, type RunningApp } from '../../support/in-process-app.js';

/** A subscriber standing in for another feature: records every messaging.message.sent it receives. */
@Subscriber('test.messaging-sent')
@Injectable()
export class MessageSentRecorder {
  constructor(@InjectConnection() private readonly db: Connection) {}

  @OnEvent(MessagingEvents.messageSent)
  async record(event: DomainEvent<MessageSentPayload>, ctx: HandlerContext): Promise<void> {
    await this.db
      .collection('test_messaging_sent')
      .insertOne(
        { eventId: event.id, aggregateId: event.aggregateId, actorId: event.actorId, payload: event.payload },
        { session: ctx.session },
      );
  }
}

@Module({})
export class MessageSentRecorderModule {
  static forRole(): DynamicModule {
    return { module: MessageSentRecorderModule, providers: [MessageSentRecorder] };
  }
}

/** Quick bus settings and no HTTP rate limit, for suites. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    EVENTS_ATTEMPTS: '3',
    EVENTS_BACKOFF_MS: '100',
    EVENTS_BACKOFF_JITTER_PCT: '0',
    EVENTS_SWEEP_INTERVAL_MS: '200',
    EVENTS_SWEEP_GRACE_MS: '1000',
    EVENTS_DRAIN_TIMEOUT_MS: '3000',
    RATE_LIMIT_MAX: '0',
    ...extra,
  };
}

/** keel with messaging only (plus the message.sent recorder), in this process. */
export async function bootMessagingApp(
  suite: string,
  env: Record<string, string> = {},
): Promise<RunningApp & { db: Connection }> {
  const app = await bootInProcess(suite, testEnv(env), [
    (role) => MessagingModule.forRole(role),
    () => MessageSentRecorderModule.forRole(),
  ]);
  return { ...app, db: app.app.get<Connection>(getConnectionToken()) };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

/** The /v1/conversations routes as a given user. */
export function conversationsApi(baseUrl: string) {
  const call = async (
    user: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await fetch(`${baseUrl}/v1/conversations${path}`, {
      method,
      headers: {
        ...(user ? await bearer(user) : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    call,
    create: (user: string, participantIds: string[], title?: string) =>
      call(user, 'POST', '', { participantIds, ...(title ? { title } : {}) }),
    list: (user: string, query = '') => call(user, 'GET', query),
    get: (user: string, id: string) => call(user, 'GET', `/${id}`),
    post: (user: string, id: string, body: string, clientMessageId: string) =>
      call(user, 'POST', `/${id}/messages`, { body, clientMessageId }),
    messages: (user: string, id: string, query = '') => call(user, 'GET', `/${id}/messages${query}`),
    read: (user: string, id: string, upTo: unknown) => call(user, 'POST', `/${id}/read`, { upTo }),
  };
}

export type ConversationsApi = ReturnType<typeof conversationsApi>;
