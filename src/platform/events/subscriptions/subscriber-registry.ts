import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { BootError } from '../../../config/index.js';
import { EVENT_TYPE_PATTERN, SUBSCRIBER_NAME_PATTERN } from '../domain-event.js';
import { EventsSettings } from '../events.settings.js';
import {
  ON_EVENT_META,
  SUBSCRIBER_META,
  type EventHandlerFn,
  type OnEventMeta,
  type SubscriberMeta,
} from './subscriber.decorators.js';

export interface RegisteredHandler extends OnEventMeta {
  subscriber: string;
  /** `Class.method`, for messages. */
  where: string;
  fn: EventHandlerFn;
}

export interface RegisteredSubscriber {
  name: string;
  className: string;
  handlers: Map<string, RegisteredHandler>;
}

/**
 * Every `@Subscriber` and its `@OnEvent` handlers, found at bootstrap in every role (the api role needs
 * the routes to write outbox records; only worker roles run the handlers). Startup fails with one
 * message naming every problem.
 */
@Injectable()
export class SubscriberRegistry implements OnModuleInit {
  private readonly subscribers = new Map<string, RegisteredSubscriber>();
  private readonly routes = new Map<string, string[]>();
  private discovered = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly settings: EventsSettings,
  ) {}

  onModuleInit(): void {
    this.discover();
  }

  /** Idempotent; callable before onModuleInit by providers that need the routes early. */
  discover(): void {
    if (this.discovered) return;
    this.discovered = true;
    const problems: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || typeof instance !== 'object') continue;
      const meta = Reflect.getMetadata(SUBSCRIBER_META, metatype) as SubscriberMeta | undefined;
      const proto = Object.getPrototypeOf(instance) as object;
      const handlers = this.scanner
        .getAllMethodNames(proto)
        .flatMap((method) =>
          ((Reflect.getMetadata(ON_EVENT_META, proto, method) ?? []) as OnEventMeta[]).map((m) => ({ ...m, method })),
        );
      if (!meta) {
        for (const h of handlers)
          problems.push(
            `${metatype.name}.${h.method} has @OnEvent('${h.type}') but ${metatype.name} is not a @Subscriber`,
          );
        continue;
      }
      if (this.subscribers.has(meta.name)) {
        problems.push(
          `subscriber '${meta.name}' is declared twice (${this.subscribers.get(meta.name)!.className} and ${metatype.name})`,
        );
        continue;
      }
      if (!SUBSCRIBER_NAME_PATTERN.test(meta.name)) {
        problems.push(
          `subscriber '${meta.name}' (${metatype.name}) must be lower-case words joined by dots, e.g. 'messaging.notifications'`,
        );
      }
      const sub: RegisteredSubscriber = {
        name: meta.name,
        className: metatype.name,
        handlers: new Map(),
      };
      this.subscribers.set(meta.name, sub);
      if (handlers.length === 0) problems.push(`subscriber '${meta.name}' (${metatype.name}) has no @OnEvent handlers`);
      for (const h of handlers) {
        const where = `${metatype.name}.${h.method}`;
        if (!EVENT_TYPE_PATTERN.test(h.type)) {
          problems.push(`${where}: event type '${h.type}' is not <feature>.<entity>.<past-tense verb>`);
        }
        const dup = sub.handlers.get(h.type);
        if (dup) {
          problems.push(`subscriber '${meta.name}' subscribes to '${h.type}' twice (${dup.where} and ${where})`);
          continue;
        }
        const fn = (instance as Record<string, EventHandlerFn>)[h.method]!.bind(instance);
        sub.handlers.set(h.type, { ...h, subscriber: meta.name, where, fn });
      }
      for (const declared of meta.events ?? []) {
        if (!sub.handlers.has(declared))
          problems.push(`subscriber '${meta.name}' declares '${declared}' but has no @OnEvent('${declared}') handler`);
      }
      if (meta.events) {
        for (const type of sub.handlers.keys()) {
          if (!meta.events.includes(type))
            problems.push(
              `subscriber '${meta.name}' handles '${type}' but does not declare it in @Subscriber({ events })`,
            );
        }
      }
    }
    for (const name of this.settings.overriddenSubscribers()) {
      if (!this.subscribers.has(name))
        problems.push(`EVENTS_CONCURRENCY_OVERRIDES names '${name}', which is not a subscriber`);
    }
    if (problems.length > 0) {
      throw new BootError(
        `Event subscriptions are inconsistent (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    }
    for (const sub of this.subscribers.values()) {
      for (const type of sub.handlers.keys()) this.routes.set(type, [...(this.routes.get(type) ?? []), sub.name]);
    }
  }

  /** Subscribers of an event type, in a stable order. */
  subscribersOf(type: string): string[] {
    this.discover();
    return this.routes.get(type) ?? [];
  }

  handler(subscriber: string, type: string): RegisteredHandler | undefined {
    return this.subscribers.get(subscriber)?.handlers.get(type);
  }

  has(subscriber: string): boolean {
    return this.subscribers.has(subscriber);
  }

  all(): RegisteredSubscriber[] {
    this.discover();
    return [...this.subscribers.values()];
  }
}
