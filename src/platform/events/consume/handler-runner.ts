import { Injectable, Optional } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { PinoLogger } from 'nestjs-pino';
import type { ClientSession, Connection, Model } from 'mongoose';
import { RequestContext } from '../../context/index.js';
import { TransactionRunner } from '../../database/index.js';
import { deliveryKey, type DomainEvent } from '../domain-event.js';
import { EventValidationError, PermanentError } from '../errors.js';
import { INBOX_MODEL, type InboxRecord } from '../events.schemas.js';
import type { HandlerContext } from '../subscriptions/subscriber.decorators.js';
import { SubscriberRegistry, type RegisteredHandler } from '../subscriptions/subscriber-registry.js';
import { InboxWriter, type InboxCollection } from './inbox-writer.js';

const DUPLICATE = Symbol('keel:events:duplicate-delivery');

export interface Delivered {
  duplicate: boolean;
}

/**
 * Runs one delivery under the event's correlation and actor ids: inbox check, handler, inbox record.
 * Transactional handlers (the default) commit their effects and the inbox record together, so a
 * redelivery finds the record and does nothing. `transaction: false` handlers run outside a transaction
 * and record the inbox after returning; they must make their external call idempotent with
 * `ctx.idempotencyKey`. Their inbox check is skipped on a job's first run (`firstRun`): only a retry or
 * a stalled job's restart can follow a handled delivery of the same job.
 */
@Injectable()
export class HandlerRunner {
  private readonly inboxWriter: InboxWriter;

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly tx: TransactionRunner,
    @InjectModel(INBOX_MODEL) private readonly inbox: Model<InboxRecord>,
    @InjectConnection() private readonly connection: Connection,
    @Optional() private readonly pino?: PinoLogger,
  ) {
    this.inboxWriter = new InboxWriter(this.inbox.collection as unknown as InboxCollection);
  }

  async deliver(
    event: DomainEvent,
    subscriber: string,
    attempt: number,
    signal: AbortSignal,
    firstRun = false,
  ): Promise<Delivered> {
    const handler = this.registry.handler(subscriber, event.type);
    if (!handler) throw new PermanentError(`subscriber '${subscriber}' has no handler for '${event.type}'`);
    await this.validate(handler, event);
    const key = deliveryKey(event.id, subscriber);
    const record: InboxRecord = {
      _id: key,
      eventId: event.id,
      subscriber,
      type: event.type,
      handledAt: new Date(),
    };
    const context = (session: ClientSession): HandlerContext => ({
      subscriber,
      session,
      idempotencyKey: key,
      attempt,
      signal,
    });
    // The request context (read by the publisher of any follow-up event) and the log context (every
    // line the handler logs carries the correlation id) both come from the event.
    const scope = <T>(fn: () => Promise<T>): Promise<T> => {
      const inContext = () => RequestContext.run({ correlationId: event.correlationId, actorId: event.actorId }, fn);
      const bindings = {
        correlationId: event.correlationId,
        actorId: event.actorId,
        eventId: event.id,
        subscriber,
      };
      return this.pino ? this.pino.runInContext(inContext, { bindings }) : inContext();
    };
    return scope(async () => {
      if (handler.inbox === false) {
        await this.withoutInbox(handler, event, context);
        return { duplicate: false };
      }
      if (handler.transaction === false) {
        if (!firstRun && (await this.inbox.collection.findOne({ _id: key as never }, { projection: { _id: 1 } })))
          return { duplicate: true };
        await this.outsideTransaction(handler, event, context);
        await this.inboxWriter.record(record);
        return { duplicate: false };
      }
      // The inbox record goes first: a duplicate fails at once on the unique _id (no read needed), and
      // two concurrent deliveries of one event conflict there, before either runs the handler.
      return this.tx
        .run(async (session) => {
          await this.inbox.collection
            .insertOne({ ...record, handledAt: new Date() } as never, {
              session,
            })
            .catch((err: { code?: number }) => {
              throw err.code === 11000 ? DUPLICATE : err;
            });
          await handler.fn(event, context(session));
          return { duplicate: false };
        })
        .catch((err: unknown) => {
          if (err === DUPLICATE) return { duplicate: true };
          throw err;
        });
    });
  }

  private async withoutInbox(
    handler: RegisteredHandler,
    event: DomainEvent,
    context: (s: ClientSession) => HandlerContext,
  ): Promise<void> {
    if (handler.transaction !== false) {
      await this.tx.run((session) => Promise.resolve(handler.fn(event, context(session))));
      return;
    }
    await this.outsideTransaction(handler, event, context);
  }

  /**
   * Runs a `transaction: false` handler. Its `ctx.session` is started when the handler first reads it
   * (most call a provider and never do), and ended after the handler returns.
   */
  private async outsideTransaction(
    handler: RegisteredHandler,
    event: DomainEvent,
    context: (s: ClientSession) => HandlerContext,
  ): Promise<void> {
    let session: ClientSession | undefined;
    const client = this.connection.getClient();
    const ctx = Object.defineProperty(context(undefined as never), 'session', {
      get: () => (session ??= client.startSession()),
      enumerable: true,
    });
    try {
      await handler.fn(event, ctx);
    } finally {
      await session?.endSession();
    }
  }

  private async validate(handler: RegisteredHandler, event: DomainEvent): Promise<void> {
    if (!handler.payload) return;
    const instance = plainToInstance(handler.payload, event.payload ?? {});
    const errors = await validate(instance as object, {
      forbidUnknownValues: false,
    });
    if (errors.length > 0) {
      const details = errors
        .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ') || 'invalid'}`)
        .join('; ');
      throw new EventValidationError(
        `payload of ${event.type} ${event.id} is invalid for ${handler.where}: ${details}`,
      );
    }
  }
}
